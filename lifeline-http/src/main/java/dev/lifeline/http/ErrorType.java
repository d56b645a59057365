package dev.lifeline.http;

import java.util.Locale;

/**
 * The {@code error_type} written to logs and metrics for a failed HTTP call. Immutable and
 * thread-safe.
 */
public enum ErrorType {
  /**
   * The exchange failed on the server's side: a 5xx or 429 answer, or the connection failed
   * (refused, reset, unknown host, TLS).
   */
  HTTP_ERROR,
  /**
   * The request itself is wrong: the server answered 4xx (other than 408 and 429), or the request
   * was refused on this side before it was sent.
   */
  CLIENT_ERROR,
  /** A deadline, connect, TLS handshake, read or pool-wait timeout, or a 408/504 answer. */
  TIMEOUT,
  /** The body was larger than the maximum response size; nothing was truncated. */
  RESPONSE_TOO_LARGE,
  /** The circuit breaker was open: nothing was sent. */
  CIRCUIT_BREAKER_OPEN,
  /** Anything else, e.g. an interrupted wait or a failure that fits no other type. */
  UNEXPECTED_ERROR,
  /** The health check found the server unhealthy or unreachable. */
  HEALTH_CHECK_FAILED;

  /** The lower-case value used in logs and metric tags, e.g. {@code circuit_breaker_open}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }
}
