package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void farmerPowerScheduleDoublesFromOneSecondUpToTenWithoutJitter() {
    Backoff b =
        Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(10))
            .withJitter(Jitter.none());
    assertThat(b.delay(1, () -> 0.5)).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.delay(2, () -> 0.5)).isEqualTo(Duration.ofSeconds(2));
    assertThat(b.delay(3, () -> 0.5)).isEqualTo(Duration.ofSeconds(4));
    assertThat(b.delay(4, () -> 0.5)).isEqualTo(Duration.ofSeconds(8));
    assertThat(b.delay(5, () -> 0.5)).isEqualTo(Duration.ofSeconds(10));
    assertThat(b.delay(60, () -> 0.5)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void proportionalJitterStaysWithinItsRange() {
    Backoff b =
        Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10))
            .withJitter(Jitter.proportional(0.2));
    assertThat(b.delay(1, () -> 0.0)).isEqualTo(Duration.ofMillis(80));
    assertThat(b.delay(1, () -> 0.5)).isEqualTo(Duration.ofMillis(100));
    assertThat(b.delay(2, () -> 0.999999))
        .isBetween(Duration.ofMillis(239), Duration.ofMillis(240));
  }

  @Test
  void fullJitterDrawsBetweenZeroAndTheBackoff() {
    Backoff b =
        Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1))
            .withJitter(Jitter.full());
    assertThat(b.delay(3, () -> 0.0)).isEqualTo(Duration.ZERO);
    assertThat(b.delay(3, () -> 0.5)).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void jitterNeverExceedsTheMaximum() {
    Backoff b =
        Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1))
            .withJitter(Jitter.proportional(0.5));
    assertThat(b.delay(10, () -> 0.99)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void invalidValuesNameTheFieldAndRange() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessage("max: PT1S (expected: >= initial PT2S)");
    assertThatThrownBy(
            () ->
                Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(1))
                    .withMultiplier(0.5))
        .hasMessage("multiplier: 0.5 (expected: >= 1 and <= 100)");
    assertThatThrownBy(() -> Jitter.proportional(1.5))
        .hasMessage("jitter fraction: 1.5 (expected: >= 0 and <= 1)");
  }
}
