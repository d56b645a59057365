package dev.lifeline.core.internal;

import dev.lifeline.core.FailureKind;

/**
 * What a circuit breaker records for a failed attempt, as one pure decision: a breaker judges
 * whether the target is healthy, so only what the target did counts.
 *
 * <p>Immutable and thread-safe.
 */
public enum BreakerVerdict {
  /**
   * The attempt says nothing about the target's health: the permission is handed back and nothing
   * is recorded. A failure raised here before anything was sent, a cancellation by the caller, or a
   * standby that answered NOT_ACTIVE (it is healthy; it just is not the active member).
   */
  RELEASE,
  /** The target failed (unavailable, overloaded, timed out, a server error): counts against it. */
  FAILURE,
  /**
   * The target answered, even if with an error about the request (a caller error such as NOT_FOUND,
   * or ABORTED by a conflict): it is up, so the breaker counts a success.
   */
  SUCCESS;

  /** The verdict on an attempt that failed with {@code kind}; {@code local} if it failed here. */
  public static BreakerVerdict of(FailureKind kind, boolean local) {
    if (kind.isBreakerIgnored() || local) {
      return RELEASE;
    }
    return kind.isBreakerFailure() ? FAILURE : SUCCESS;
  }
}
