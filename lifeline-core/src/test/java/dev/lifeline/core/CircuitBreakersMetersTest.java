package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The breaker meters a dashboard relies on: named by service, tagged by target, there from 0. */
class CircuitBreakersMetersTest {

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final CircuitBreakers breakers = CircuitBreakers.builder().meterRegistry(meters).build();

  @Test
  void aBreakerIsNamedByItsServiceWithTheTargetAsATag() {
    CircuitBreaker b = breakers.breaker("storage", "10.0.0.7:443", "GET");

    assertThat(b.getName()).isEqualTo("storage 10.0.0.7:443");
    Meter.Id id = meters.get("lifeline.breaker.state").gauge().getId();
    assertThat(id.getTag("breaker")).isEqualTo("storage");
    assertThat(id.getTag("target")).isEqualTo("10.0.0.7:443");
    assertThat(id.getTag("method")).isEqualTo(CircuitBreakers.ALL_METHODS);
  }

  @Test
  void twoServicesCallingTheSameTargetGetTwoBreakers() {
    CircuitBreaker a = breakers.breaker("item-master", "10.0.0.7:443", "m");
    CircuitBreaker b = breakers.breaker("ai-model", "10.0.0.7:443", "m");

    assertThat(a).isNotSameAs(b);
    assertThat(breakers.breaker("item-master", "10.0.0.7:443", "other")).isSameAs(a);
  }

  @Test
  void theUsualTransitionsAreCountedFromZeroAsSoonAsTheBreakerExists() {
    breakers.breaker("storage", "t", "GET");

    for (String[] t :
        new String[][] {
          {"closed", "open"}, {"open", "half_open"}, {"half_open", "closed"}, {"half_open", "open"}
        }) {
      assertThat(
              meters
                  .get("lifeline.breaker.transitions")
                  .tag("breaker", "storage")
                  .tag("from", t[0])
                  .tag("to", t[1])
                  .counter()
                  .count())
          .isZero();
    }
    assertThat(meters.get("lifeline.breaker.transitions").counters())
        .allSatisfy(c -> assertThat(c.getId().getDescription()).isNotBlank());
  }

  @Test
  void aTransitionIncrementsItsCounter() {
    breakers.breaker("storage", "t", "GET").transitionToOpenState();

    assertThat(
            meters
                .get("lifeline.breaker.transitions")
                .tag("from", "closed")
                .tag("to", "open")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(meters.get("lifeline.breaker.state").gauge().value()).isEqualTo(1);
  }
}
