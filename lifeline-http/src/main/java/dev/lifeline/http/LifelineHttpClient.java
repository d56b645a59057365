package dev.lifeline.http;

import dev.lifeline.http.internal.DefaultHttpClient;

/**
 * A resilient HTTP client for one base URL. Each {@link #execute(HttpRequest)} is one logical call:
 * attempts are bounded by the client's connect, response and call timeouts, retried under the
 * shared {@link dev.lifeline.core.RetryPolicy} only when safe (idempotent method, or provably not
 * sent), honour {@code Retry-After} within the deadline, and pass through the target's circuit
 * breaker, which sends nothing while open.
 *
 * <p>Thread-safe; share one instance per base URL and {@link #close()} it when done.
 */
public interface LifelineHttpClient extends AutoCloseable {

  /** Creates a client. */
  static LifelineHttpClient create(HttpClientConfig config) {
    return new DefaultHttpClient(config);
  }

  /**
   * Makes the call. Any 2xx or 3xx answer, or an error status the request {@linkplain
   * HttpRequest.Builder#acceptStatus accepts}, is returned.
   *
   * @throws LifelineHttpException if the call failed for good; {@link
   *     LifelineHttpException#errorType()} says how
   * @throws IllegalStateException if the client is closed
   */
  HttpResponse execute(HttpRequest request);

  /**
   * Asks {@code GET <healthPath>} without the circuit breaker or retries. The result is logged and
   * counted either way.
   *
   * @return {@code true} if the server answered 2xx; {@code false} otherwise, outside production
   * @throws HealthCheckFailedException if unhealthy and the environment is {@code production}
   */
  boolean healthCheck();

  /** The pool's current counts. */
  PoolStats poolStats();

  /** The configuration. */
  HttpClientConfig config();

  /** Closes the pool and its connections. Idempotent. */
  @Override
  void close();
}
