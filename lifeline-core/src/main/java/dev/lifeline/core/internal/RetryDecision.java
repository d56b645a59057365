package dev.lifeline.core.internal;

import dev.lifeline.core.FailureKind;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.spi.AttemptOutcome;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The one retry rule every transport and every routing step applies after a failed attempt, as a
 * pure function so that its table of cases is tested directly. {@link
 * dev.lifeline.core.spi.CallExecution} calls it and then charges the retry budget.
 *
 * <p>Stateless and thread-safe.
 */
public final class RetryDecision {

  /**
   * Without a deadline, a server's pushback longer than this stops the call: nothing may wait
   * without a bound, and a pushback of days is a request not to retry.
   */
  public static final Duration MAX_PUSHBACK_WITHOUT_DEADLINE = Duration.ofHours(1);

  /** A call retrying until its deadline still stops here, so a zero-delay loop cannot spin. */
  public static final int MAX_ATTEMPTS_UNTIL_DEADLINE = 1000;

  private RetryDecision() {}

  /**
   * What to do after a failed attempt: stop (and why), or retry after a delay. Pure, so the table
   * of cases is tested directly and every transport applies the same rule.
   *
   * @param attemptsMade attempts finished so far, this one included
   * @param delayedRetries retries so far that waited out a backoff (redirects do not count)
   * @param remaining time left before the deadline, or {@code null} without one
   * @param random a uniform draw from {@code [0, 1)} for the backoff's jitter
   */
  public static Plan decide(
      RetryPolicy policy,
      boolean idempotent,
      AttemptOutcome outcome,
      int attemptsMade,
      int delayedRetries,
      @Nullable Duration remaining,
      double random) {
    FailureKind kind = outcome.kind();
    if (kind == FailureKind.CANCELLED) {
      return Plan.stop(StopReason.CANCELLED);
    }
    if (remaining != null && remaining.isZero()) {
      return Plan.stop(StopReason.DEADLINE);
    }
    if (outcome.isStreamStarted()) {
      // The caller has seen messages of this stream: replaying it would duplicate them.
      return Plan.stop(StopReason.STREAM_STARTED);
    }
    if (!policy.retries(kind)) {
      return Plan.stop(StopReason.NON_RETRYABLE);
    }
    if (!idempotent && !outcome.isProvablyNotSent()) {
      // The request may have run; running it again could apply a write twice.
      return Plan.stop(StopReason.NOT_IDEMPOTENT);
    }
    if (attemptsExhausted(policy, attemptsMade, remaining != null)) {
      return Plan.stop(StopReason.ATTEMPTS_EXHAUSTED);
    }
    Duration pushback = policy.honorPushback() ? outcome.pushbackDelay().orElse(null) : null;
    Duration delay;
    boolean backoff = false;
    if (pushback != null) {
      if (pushback.isNegative()) {
        return Plan.stop(StopReason.PUSHBACK);
      }
      if (remaining == null && pushback.compareTo(MAX_PUSHBACK_WITHOUT_DEADLINE) > 0) {
        return Plan.stop(StopReason.PUSHBACK);
      }
      delay = pushback;
    } else if (outcome.isRedirected()) {
      delay = Duration.ZERO;
    } else {
      delay = policy.backoff().delay(delayedRetries + 1, () -> random);
      backoff = true;
    }
    if (remaining != null && delay.compareTo(remaining) >= 0) {
      // The wait would end at or after the deadline: the next attempt could never finish in time.
      return Plan.stop(StopReason.DEADLINE);
    }
    return new Plan(null, delay, backoff);
  }

  /** Attempts are counted honestly: maxAttempts includes the first call. */
  private static boolean attemptsExhausted(RetryPolicy policy, int made, boolean hasDeadline) {
    if (policy.retryUntilDeadline() && hasDeadline) {
      return made >= MAX_ATTEMPTS_UNTIL_DEADLINE;
    }
    return made >= policy.maxAttempts();
  }

  /**
   * The outcome of {@link #decide}: {@code stop} is non-null to stop; otherwise retry after {@code
   * delay}, which is a backoff (it advances the backoff schedule) unless it came from a redirect or
   * pushback.
   */
  public record Plan(@Nullable StopReason stop, Duration delay, boolean backoff) {
    static Plan stop(StopReason reason) {
      return new Plan(reason, Duration.ZERO, false);
    }
  }
}
