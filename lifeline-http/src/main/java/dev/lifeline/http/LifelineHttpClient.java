package dev.lifeline.http;

import dev.lifeline.http.internal.DefaultHttpClient;

/**
 * A resilient HTTP client for one base URL. Each {@link #execute(HttpRequest)} is one logical call
 * under the client's {@link dev.lifeline.core.CallPolicy}: attempts are retried only when safe
 * (idempotent request, or provably not sent), honour {@code Retry-After} within the deadline, and
 * pass through the target's circuit breaker, which sends nothing while open.
 *
 * <p>Every attempt is bounded: it is cancelled at the call's deadline whatever it is doing (DNS
 * lookup, connect, TLS handshake, writing the request, waiting for or reading the response), and a
 * buffered body larger than {@link HttpClientConfig#maxResponseBytes()} fails the call with {@link
 * ErrorType#RESPONSE_TOO_LARGE} instead of being read.
 *
 * <p>Thread-safe; share one instance per base URL and {@link #close()} it when done.
 */
public interface LifelineHttpClient extends AutoCloseable {

  /** Creates a client. */
  static LifelineHttpClient create(HttpClientConfig config) {
    return new DefaultHttpClient(config);
  }

  /**
   * Makes the call and reads the whole body, up to the request's or the client's maximum response
   * size. Any 2xx or 3xx answer, or an error status the request {@linkplain
   * HttpRequest.Builder#acceptStatus accepts}, is returned.
   *
   * @throws LifelineHttpException if the call failed for good; {@link
   *     LifelineHttpException#errorType()} says how
   * @throws IllegalStateException if the client is closed
   */
  HttpResponse execute(HttpRequest request);

  /**
   * Makes the call and hands the body to {@code handler} as it arrives, for bodies too large to
   * buffer. The attempt's deadline still bounds the whole exchange, reading included; the body is
   * bounded only if the request sets {@link HttpRequest.Builder#maxResponseBytes(long)}. Whatever
   * the handler leaves unread is discarded with the connection.
   *
   * @return what {@code handler} returned
   * @throws LifelineHttpException if the call failed for good, reading the body included
   * @throws java.io.UncheckedIOException if {@code handler} threw an {@link java.io.IOException} of
   *     its own (not one from reading the body); the call stops without retry
   * @throws RuntimeException whatever unchecked exception {@code handler} threw
   * @throws IllegalStateException if the client is closed
   */
  <T> T executeStreaming(HttpRequest request, BodyHandler<T> handler);

  /**
   * Asks {@code GET <healthPath>} once, without the circuit breaker or retries, bounded by the
   * response timeout. The result is logged and counted either way.
   *
   * @return {@code true} if the server answered 2xx; {@code false} otherwise, unless {@link
   *     HttpClientConfig#failedHealthCheckThrows()}
   * @throws HealthCheckFailedException if unhealthy and {@link
   *     HttpClientConfig#failedHealthCheckThrows()}
   * @throws IllegalStateException if the client is closed
   */
  boolean healthCheck();

  /** The pool's current counts. */
  PoolStats poolStats();

  /** The configuration. */
  HttpClientConfig config();

  /** Closes the pool, its connections and the deadline timer. Idempotent. */
  @Override
  void close();
}
