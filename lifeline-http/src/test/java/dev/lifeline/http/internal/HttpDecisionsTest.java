package dev.lifeline.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link HttpDecisions}, rule by rule, as tables. Durations in milliseconds; empty: absent. */
class HttpDecisionsTest {

  private static Duration ms(Long v) {
    return v == null ? null : Duration.ofMillis(v);
  }

  private static Set<Integer> statuses(String spec) {
    return spec == null
        ? Set.of()
        : Arrays.stream(spec.split(" ")).map(Integer::valueOf).collect(Collectors.toSet());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                          | status | accepted  | result
          a success is the result                        | 200    |           | true
          a redirect is handed to the caller             | 302    |           | true
          a 404 is a failure by default                  | 404    |           | false
          a 404 the request expects is its result        | 404    | 404 409   | true
          an accepted list does not accept other errors  | 500    | 404       | false
          a 503 is a failure                             | 503    |           | false
          """)
  void anAnswerIsTheResultUnderFourHundredOrWhenTheRequestExpectsIt(
      String why, int status, String accepted, boolean result) {
    assertThat(HttpDecisions.isAccepted(status, statuses(accepted))).isEqualTo(result);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                 | status | healthy
          200 is healthy                        | 200    | true
          204 is healthy                        | 204    | true
          a redirect is not                     | 301    | false
          a server error is not                 | 500    | false
          an informational answer is not        | 199    | false
          """)
  void onlyATwoHundredIsHealthy(String why, int status, boolean healthy) {
    assertThat(HttpDecisions.isHealthy(status)).isEqualTo(healthy);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                            | status | retryAfter | left  | pushback
          a 503's Retry-After is kept                      | 503    | 2000       | 5000  | 2000
          a 429's Retry-After is kept                      | 429    | 100        | 5000  | 100
          a wait past the deadline is clamped to it        | 503    | 60000      | 5000  | 5000
          without a deadline the server's wait stands      | 503    | 60000      |       | 60000
          no header, no pushback                           | 503    |            | 5000  |
          a 500's Retry-After is ignored                   | 500    | 2000       | 5000  |
          a 502's Retry-After is ignored                   | 502    | 2000       | 5000  |
          """)
  void retryAfterCountsOnlyOnA429OrA503AndNeverPastTheDeadline(
      String why, int status, Long retryAfter, Long left, Long pushback) {
    assertThat(HttpDecisions.pushback(status, ms(retryAfter), ms(left))).isEqualTo(ms(pushback));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                         | left  | passed
          no deadline never passes                      |       | false
          time left                                     | 50    | false
          exactly the minimum is enough                 | 1     | false
          under a millisecond is gone                   | 0     | true
          overslept a backoff                           | -20   | true
          """)
  void anAttemptNeedsAtLeastAMillisecondLeft(String why, Long left, boolean passed) {
    assertThat(HttpDecisions.deadlinePassed(ms(left))).isEqualTo(passed);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                          | bound | connect | response | poolWait
          without a bound the configured waits stand     |       | 1000    | 10000    | 30000
          a long bound keeps the configured waits        | 20000 | 1000    | 10000    | 20000
          a short bound caps connect and response        | 500   | 500     | 500      | 500
          a bound between them caps only the longer one  | 3000  | 1000    | 3000     | 3000
          """)
  void everyWaitIsCappedByTheTimeLeft(
      String why, Long bound, long connect, long response, long poolWait) {
    HttpDecisions.Timeouts t =
        HttpDecisions.timeouts(
            Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(30), ms(bound));
    assertThat(t).isEqualTo(new HttpDecisions.Timeouts(ms(connect), ms(response), ms(poolWait)));
  }
}
