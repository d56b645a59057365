package dev.lifeline.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.FailureKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a breaker records for each failed attempt, as a table over every kind, sent or local. */
class BreakerVerdictTest {

  @ParameterizedTest(name = "{0}, failed here: {1} -> {2}")
  @CsvSource({
    "UNAVAILABLE,   false, FAILURE",
    "TIMEOUT,       false, FAILURE",
    "OVERLOADED,    false, FAILURE",
    "SERVER_ERROR,  false, FAILURE",
    "ABORTED,       false, SUCCESS",
    "CALLER_ERROR,  false, SUCCESS",
    "CANCELLED,     false, RELEASE",
    "NOT_ACTIVE,    false, RELEASE",
    "UNAVAILABLE,   true,  RELEASE",
    "TIMEOUT,       true,  RELEASE",
    "SERVER_ERROR,  true,  RELEASE",
    "CALLER_ERROR,  true,  RELEASE",
  })
  void onlyWhatTheTargetDidCountsForOrAgainstIt(
      FailureKind kind, boolean local, BreakerVerdict expected) {
    assertThat(BreakerVerdict.of(kind, local)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"FAILURE", "SUCCESS", "RELEASE"})
  void everyVerdictIsReachable(BreakerVerdict v) {
    boolean reached = false;
    for (FailureKind k : FailureKind.values()) {
      reached |= BreakerVerdict.of(k, false) == v;
    }
    assertThat(reached).isTrue();
  }
}
