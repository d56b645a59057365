package dev.lifeline.core;

/** Why a logical call stopped without success. Immutable and thread-safe. */
public enum StopReason {
  /** Every attempt the policy allows failed with a retryable kind. */
  ATTEMPTS_EXHAUSTED("attempts exhausted"),
  /** The call's deadline left no time for another attempt. */
  DEADLINE("deadline exceeded"),
  /** The target's retry budget refused the retry. */
  BUDGET_EXHAUSTED("retry budget exhausted"),
  /** The circuit breaker was open: no request was sent. */
  BREAKER_OPEN("circuit breaker open"),
  /** The failure's kind is not retryable under the policy. */
  NON_RETRYABLE("not retryable"),
  /** The call is not idempotent and the request may have reached the server. */
  NOT_IDEMPOTENT("not idempotent and possibly sent"),
  /** The server asked not to be retried (negative or malformed pushback). */
  PUSHBACK("server pushback"),
  /** The caller cancelled the call. */
  CANCELLED("cancelled"),
  /** A streaming call failed after it had delivered a response message. */
  STREAM_STARTED("stream already started");

  private final String text;

  StopReason(String text) {
    this.text = text;
  }

  /** A short lower-case phrase for messages, e.g. "attempts exhausted". */
  public String text() {
    return text;
  }
}
