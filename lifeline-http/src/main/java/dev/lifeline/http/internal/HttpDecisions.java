package dev.lifeline.http.internal;

import java.time.Duration;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What {@link DefaultHttpClient} decides about one attempt, as pure functions: whether an answer is
 * the caller's result, how long a server's {@code Retry-After} may hold the call, whether time is
 * left for another attempt, and how the exchange's waits are capped. How a failure is classified
 * (and so whether it is retried) is {@link HttpClassifier}'s. Nothing here reads a clock or a
 * socket, so each rule is tested as a table ({@code HttpDecisionsTest}).
 *
 * <p>Stateless and thread-safe.
 */
final class HttpDecisions {

  /** HttpClient reads a zero timeout as "infinite", so an attempt needs at least this much. */
  static final Duration MIN_ATTEMPT = Duration.ofMillis(1);

  private HttpDecisions() {}

  /**
   * Whether an answer is the caller's result rather than a failure: any status under 400, and the
   * error statuses the request declared it expects (e.g. a 404 that means "absent").
   */
  static boolean isAccepted(int status, Set<Integer> acceptedStatuses) {
    return status < 400 || acceptedStatuses.contains(status);
  }

  /** Whether a health check's answer means healthy: a 2xx, and nothing else (not a redirect). */
  static boolean isHealthy(int status) {
    return status >= 200 && status < 300;
  }

  /**
   * The pushback an answer carries: the server's {@code Retry-After} on a 429 or 503 (RFC 9110
   * 10.2.3), clamped to the time left, so that any wait that long ends the call on its deadline
   * instead of sleeping, and the engine never sees a duration too large for its arithmetic.
   *
   * @param retryAfter the parsed header, or {@code null} if absent or malformed
   * @param left the call's time left, or {@code null} without a deadline
   * @return the delay, or {@code null} for none
   */
  static @Nullable Duration pushback(
      int status, @Nullable Duration retryAfter, @Nullable Duration left) {
    if (status != 429 && status != 503) {
      return null;
    }
    return retryAfter != null && left != null && retryAfter.compareTo(left) > 0 ? left : retryAfter;
  }

  /**
   * Whether the call's deadline has passed (or is under {@link #MIN_ATTEMPT} away, which HttpClient
   * would read as "no timeout") before its next attempt, e.g. after a backoff that overslept.
   *
   * @param left the time left for the attempt, or {@code null} without a deadline
   */
  static boolean deadlinePassed(@Nullable Duration left) {
    return left != null && left.compareTo(MIN_ATTEMPT) < 0;
  }

  /**
   * One exchange's waits.
   *
   * @param connect the TCP (and TLS handshake) connect
   * @param response the wait for the answer, per read
   * @param poolWait the wait for a pooled connection
   */
  record Timeouts(Duration connect, Duration response, Duration poolWait) {}

  /**
   * Every wait of the exchange capped by {@code bound}, the time left: connect and response keep
   * their configured value if it is shorter; the pool wait is the time left (without a bound, the
   * call timeout).
   */
  static Timeouts timeouts(
      Duration connect, Duration response, Duration callTimeout, @Nullable Duration bound) {
    if (bound == null) {
      return new Timeouts(connect, response, callTimeout);
    }
    return new Timeouts(min(connect, bound), min(response, bound), bound);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
