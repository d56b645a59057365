package dev.lifeline.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.Backoff;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.Jitter;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.spi.AttemptOutcome;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one retry rule, {@link CallExecution#decide}, as a table: every transport and every routing
 * step (a retry, a failover hop) goes through it.
 */
class DecisionTableTest {

  private static final Duration S = Duration.ofSeconds(1);

  private static final RetryPolicy POLICY =
      RetryPolicy.builder()
          .maxAttempts(3)
          .backoff(
              Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1))
                  .withJitter(Jitter.none()))
          .build();

  private static final RetryPolicy UNTIL_DEADLINE =
      POLICY.toBuilder().retryUntilDeadline(true).build();

  private static AttemptOutcome unavailable() {
    return AttemptOutcome.failure(FailureKind.UNAVAILABLE, "UNAVAILABLE");
  }

  private static AttemptOutcome notActive() {
    return AttemptOutcome.failure(FailureKind.NOT_ACTIVE, "NOT_ACTIVE");
  }

  static Stream<Arguments> table() {
    Duration none = null;
    return Stream.of(
        // name, policy, idempotent, outcome, attempts made, delayed so far, remaining, stop, delay
        row("idempotent retry backs off", POLICY, true, unavailable(), 1, 0, none, null, 100),
        row("second backoff doubles", POLICY, true, unavailable(), 2, 1, none, null, 200),
        row(
            "attempts are counted honestly",
            POLICY,
            true,
            unavailable(),
            3,
            2,
            none,
            StopReason.ATTEMPTS_EXHAUSTED,
            -1),
        row(
            "a write that may have run is never re-sent",
            POLICY,
            false,
            unavailable(),
            1,
            0,
            none,
            StopReason.NOT_IDEMPOTENT,
            -1),
        row(
            "a write that was never sent is retried",
            POLICY,
            false,
            unavailable().notSent(),
            1,
            0,
            none,
            null,
            100),
        row(
            "NOT_ACTIVE never ran, so even a write moves",
            POLICY,
            false,
            notActive(),
            1,
            0,
            none,
            null,
            100),
        row(
            "NOT_ACTIVE moves even if not listed",
            POLICY.toBuilder().retryOn(FailureKind.UNAVAILABLE).build(),
            false,
            notActive(),
            1,
            0,
            none,
            null,
            100),
        row("a redirect goes at once", POLICY, false, notActive().redirect(), 1, 0, none, null, 0),
        row(
            "a redirect does not advance the backoff",
            POLICY,
            true,
            unavailable(),
            2,
            0,
            none,
            null,
            100),
        row(
            "caller errors are never retried",
            POLICY,
            true,
            AttemptOutcome.failure(FailureKind.CALLER_ERROR, "NOT_FOUND"),
            1,
            0,
            none,
            StopReason.NON_RETRYABLE,
            -1),
        row(
            "cancelled by the caller",
            POLICY,
            true,
            AttemptOutcome.failure(FailureKind.CANCELLED, "CANCELLED"),
            1,
            0,
            none,
            StopReason.CANCELLED,
            -1),
        row(
            "a started stream is never replayed",
            POLICY,
            true,
            unavailable().streamStarted(),
            1,
            0,
            none,
            StopReason.STREAM_STARTED,
            -1),
        row(
            "no time left",
            POLICY,
            true,
            unavailable(),
            1,
            0,
            Duration.ZERO,
            StopReason.DEADLINE,
            -1),
        row(
            "a backoff that does not fit the deadline stops",
            POLICY,
            true,
            unavailable(),
            1,
            0,
            Duration.ofMillis(100),
            StopReason.DEADLINE,
            -1),
        row(
            "a backoff that fits the deadline goes ahead",
            POLICY,
            true,
            unavailable(),
            1,
            0,
            Duration.ofMillis(101),
            null,
            100),
        row(
            "pushback replaces the backoff",
            POLICY,
            true,
            unavailable().pushback(Duration.ofMillis(300)),
            1,
            0,
            none,
            null,
            300),
        row(
            "negative pushback stops",
            POLICY,
            true,
            unavailable().pushback(Duration.ofMillis(-1)),
            1,
            0,
            none,
            StopReason.PUSHBACK,
            -1),
        row(
            "a huge pushback stops at the deadline, without overflow",
            POLICY,
            true,
            unavailable().pushback(Duration.ofMillis(99_999_999_999_999L)),
            1,
            0,
            S,
            StopReason.DEADLINE,
            -1),
        row(
            "a huge pushback without a deadline stops, nothing waits unbounded",
            POLICY,
            true,
            unavailable().pushback(Duration.ofMillis(99_999_999_999_999L)),
            1,
            0,
            none,
            StopReason.PUSHBACK,
            -1),
        row(
            "pushback of an hour without a deadline is honoured",
            POLICY,
            true,
            unavailable().pushback(Duration.ofHours(1)),
            1,
            0,
            none,
            null,
            3_600_000),
        row(
            "until the deadline, attempts do not run out",
            UNTIL_DEADLINE,
            true,
            unavailable(),
            50,
            2,
            Duration.ofSeconds(10),
            null,
            400),
        row(
            "until the deadline, but no deadline: attempts run out",
            UNTIL_DEADLINE,
            true,
            unavailable(),
            3,
            2,
            none,
            StopReason.ATTEMPTS_EXHAUSTED,
            -1),
        row(
            "until the deadline, still capped",
            UNTIL_DEADLINE,
            true,
            unavailable(),
            RetryDecision.MAX_ATTEMPTS_UNTIL_DEADLINE,
            2,
            Duration.ofSeconds(10),
            StopReason.ATTEMPTS_EXHAUSTED,
            -1));
  }

  private static Arguments row(
      String name,
      RetryPolicy policy,
      boolean idempotent,
      AttemptOutcome outcome,
      int made,
      int delayed,
      Duration remaining,
      StopReason stop,
      long delayMillis) {
    return Arguments.of(
        name, policy, idempotent, outcome, made, delayed, remaining, stop, delayMillis);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void theRetryDecisionFollowsTheTable(
      String name,
      RetryPolicy policy,
      boolean idempotent,
      AttemptOutcome outcome,
      int made,
      int delayed,
      Duration remaining,
      StopReason stop,
      long delayMillis) {
    RetryDecision.Plan plan =
        RetryDecision.decide(policy, idempotent, outcome, made, delayed, remaining, 0.5);
    assertThat(plan.stop()).isEqualTo(stop);
    if (stop == null) {
      assertThat(plan.delay()).isEqualTo(Duration.ofMillis(delayMillis));
    }
  }
}
