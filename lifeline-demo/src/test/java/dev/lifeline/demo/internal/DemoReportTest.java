package dev.lifeline.demo.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the demo's report line decides, as tables. */
class DemoReportTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      emptyValue = "",
      textBlock =
          """
          # why                                    | states                         | shown
          no breaker yet is closed                 | ''                             | CLOSED
          all closed                               | CLOSED CLOSED                  | CLOSED
          one half-open trial shows                | CLOSED HALF_OPEN               | HALF_OPEN
          one open breaker wins over everything    | HALF_OPEN OPEN CLOSED          | OPEN
          open wins even when listed first         | OPEN HALF_OPEN                 | OPEN
          a forced state shows                     | CLOSED FORCED_OPEN             | FORCED_OPEN
          """)
  void theLineShowsTheWorstBreakerState(String why, String states, String shown) {
    List<CircuitBreaker.State> list =
        states.isEmpty()
            ? List.of()
            : Arrays.stream(states.split(" ")).map(CircuitBreaker.State::valueOf).toList();
    assertThat(DemoReport.worst(list)).isEqualTo(shown);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      emptyValue = "",
      textBlock =
          """
          # why                                           | calls                          | waiting
          every service answered                          | item=5 order=3                 | ''
          a service with no call this second is waiting   | item=5 order=0 storage=2       | order
          several, in the timeline's order                | item=0 order=4 storage=0       | item storage
          """)
  void aServiceThatFinishedNoCallIsShownAsWaiting(String why, String calls, String waiting) {
    Map<String, Long> byService = new LinkedHashMap<>();
    for (String c : calls.split(" ")) {
      String[] kv = c.split("=");
      byService.put(kv[0], Long.valueOf(kv[1]));
    }
    assertThat(DemoReport.waitingOn(byService))
        .containsExactlyElementsOf(
            waiting.isEmpty() ? List.of() : Arrays.asList(waiting.split(" ")));
  }
}
