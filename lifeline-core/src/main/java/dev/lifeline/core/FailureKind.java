package dev.lifeline.core;

/**
 * Lifeline's transport-neutral classification of a failed attempt. gRPC status codes and HTTP
 * answers are both mapped onto these kinds, and the retry engine, the retry budget and the circuit
 * breaker decide only on the kind.
 *
 * <table>
 *   <caption>How each kind is treated</caption>
 *   <tr><th>kind</th><th>circuit breaker</th><th>retried</th></tr>
 *   <tr><td>UNAVAILABLE</td><td>failure</td><td>by default</td></tr>
 *   <tr><td>TIMEOUT</td><td>failure</td><td>opt-in (per-attempt timeout)</td></tr>
 *   <tr><td>OVERLOADED</td><td>failure</td><td>opt-in</td></tr>
 *   <tr><td>SERVER_ERROR</td><td>failure</td><td>opt-in</td></tr>
 *   <tr><td>ABORTED</td><td>success</td><td>opt-in</td></tr>
 *   <tr><td>CALLER_ERROR</td><td>success</td><td>never</td></tr>
 *   <tr><td>CANCELLED</td><td>ignored</td><td>never</td></tr>
 *   <tr><td>NOT_ACTIVE</td><td>ignored</td><td>by default; never charged to the retry budget</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe.
 */
public enum FailureKind {
  /** The server could not be reached or refused the call (gRPC UNAVAILABLE, HTTP 502/503). */
  UNAVAILABLE,
  /** The attempt ran out of time (gRPC DEADLINE_EXCEEDED, HTTP 504, socket timeouts). */
  TIMEOUT,
  /** The server shed load (gRPC RESOURCE_EXHAUSTED, HTTP 429). */
  OVERLOADED,
  /** The server aborted the operation, typically a concurrency conflict (gRPC ABORTED). */
  ABORTED,
  /** The server failed while handling the call (gRPC INTERNAL/UNKNOWN/DATA_LOSS, other 5xx). */
  SERVER_ERROR,
  /**
   * The request itself is wrong or not allowed (gRPC NOT_FOUND, INVALID_ARGUMENT, ..., HTTP 4xx).
   * Repeating it cannot help, so it is never retried, and it proves the server is healthy.
   */
  CALLER_ERROR,
  /** The caller cancelled the call. Says nothing about the server's health. */
  CANCELLED,
  /**
   * The call reached a standby member of a single-active group: the wrong replica, not a failure.
   * Never counted against the circuit breaker or the retry budget.
   */
  NOT_ACTIVE;

  /** Whether the circuit breaker records this kind as a failure. */
  public boolean isBreakerFailure() {
    return this == UNAVAILABLE || this == TIMEOUT || this == OVERLOADED || this == SERVER_ERROR;
  }

  /**
   * Whether the circuit breaker ignores this kind entirely (its permission is released without
   * recording anything).
   */
  public boolean isBreakerIgnored() {
    return this == CANCELLED || this == NOT_ACTIVE;
  }

  /** Whether a {@link RetryPolicy} may list this kind as retryable. */
  public boolean isRetryable() {
    return this != CALLER_ERROR && this != CANCELLED;
  }

  /** Whether a retry after this kind is charged to the {@link RetryBudget}. */
  public boolean chargesRetryBudget() {
    return this != NOT_ACTIVE;
  }
}
