package dev.lifeline.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CheckTest {

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of(
            (Supplier<?>) () -> Check.inRange("maxAttempts", 0, 1, 100),
            "maxAttempts: 0 (expected: >= 1 and <= 100)"),
        Arguments.of(
            (Supplier<?>) () -> Check.inRange("maxAttempts", 101, 1, 100),
            "maxAttempts: 101 (expected: >= 1 and <= 100)"),
        Arguments.of(
            (Supplier<?>) () -> Check.inRange("ratio", Double.NaN, 0, 1),
            "ratio: NaN (expected: >= 0 and <= 1)"),
        Arguments.of(
            (Supplier<?>) () -> Check.inRange("multiplier", 0.5, 1, 100),
            "multiplier: 0.5 (expected: >= 1 and <= 100)"),
        Arguments.of(
            (Supplier<?>) () -> Check.aboveAndAtMost("failureRateThreshold", 0, 0, 100),
            "failureRateThreshold: 0.0 (expected: > 0 and <= 100)"),
        Arguments.of(
            (Supplier<?>) () -> Check.atLeast("minimumNumberOfCalls", 0, 1),
            "minimumNumberOfCalls: 0 (expected: >= 1)"),
        Arguments.of(
            (Supplier<?>) () -> Check.atLeast("size", -1L, 0L), "size: -1 (expected: >= 0)"),
        Arguments.of(
            (Supplier<?>)
                () ->
                    Check.inRange(
                        "window",
                        Duration.ofMillis(500),
                        Duration.ofSeconds(1),
                        Duration.ofHours(1)),
            "window: PT0.5S (expected: >= 1 s and <= 1 h)"),
        Arguments.of(
            (Supplier<?>)
                () -> Check.atLeast("waitDurationInOpenState", Duration.ZERO, Duration.ofMillis(1)),
            "waitDurationInOpenState: PT0S (expected: >= 1 ms)"),
        Arguments.of(
            (Supplier<?>) () -> Check.positive("connectTimeout", Duration.ofSeconds(-1)),
            "connectTimeout: PT-1S (expected: > 0)"),
        Arguments.of(
            (Supplier<?>) () -> Check.nonBlank("service", " "),
            "service: ' ' (expected: non-blank)"),
        Arguments.of(
            (Supplier<?>) () -> Check.nonBlank("service", null),
            "service: null (expected: non-blank)"));
  }

  @ParameterizedTest
  @MethodSource("rejected")
  void aBadValueIsRejectedNamingFieldValueAndRange(Supplier<?> check, String message) {
    assertThatThrownBy(check::get).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  @Test
  void aGoodValueIsReturnedAsGiven() {
    assertThat(Check.inRange("maxAttempts", 1, 1, 100)).isEqualTo(1);
    assertThat(Check.inRange("maxAttempts", 100, 1, 100)).isEqualTo(100);
    assertThat(Check.inRange("ratio", 1.0, 0, 1)).isEqualTo(1.0);
    assertThat(Check.aboveAndAtMost("rate", 100, 0, 100)).isEqualTo(100.0);
    assertThat(Check.positive("t", Duration.ofNanos(1))).isEqualTo(Duration.ofNanos(1));
    assertThat(Check.nonBlank("service", "item")).isEqualTo("item");
  }

  @Test
  void aNullDurationIsRejectedNamingTheField() {
    assertThatThrownBy(() -> Check.positive("connectTimeout", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("connectTimeout");
  }

  @Test
  void durationBoundsAreShownInTheirLargestWholeUnit() {
    assertThat(Check.show(Duration.ZERO)).isEqualTo("0");
    assertThat(Check.show(Duration.ofNanos(1500))).isEqualTo("1500 ns");
    assertThat(Check.show(Duration.ofMillis(250))).isEqualTo("250 ms");
    assertThat(Check.show(Duration.ofSeconds(10))).isEqualTo("10 s");
    assertThat(Check.show(Duration.ofMinutes(5))).isEqualTo("5 min");
    assertThat(Check.show(Duration.ofHours(1))).isEqualTo("1 h");
  }
}
