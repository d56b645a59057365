package dev.lifeline.http.internal;

import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.EndpointDetails;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP exchange in flight: the request, the deadline at which it is cancelled, and the
 * client-local evidence of how far it got ({@link HttpClassifier.Phase}), which decides whether a
 * failure may have reached the server.
 *
 * <p>HttpClient's classic API runs an exchange on the calling thread, and some of its hooks (the
 * DNS resolver, the connection factory) receive no context, so the exchange in flight is found
 * through a thread-local; {@link #enter()} and {@link #exit(Exchange)} nest.
 *
 * <p>Thread-safe: the phase is written by the calling thread, {@link #expire()} runs on the
 * deadline timer's thread; both fields are volatile.
 */
final class Exchange {

  private static final ThreadLocal<@Nullable Exchange> CURRENT = new ThreadLocal<>();

  private final HttpUriRequestBase request;
  private final HttpClientContext context;
  private final long deadlineNanos;
  private volatile HttpClassifier.Phase phase = HttpClassifier.Phase.NOT_CONNECTED;
  private volatile boolean expired;
  private volatile boolean bodyStarted;

  /**
   * @param timeoutNanos the time left for this exchange, or -1 for none
   */
  Exchange(HttpUriRequestBase request, HttpClientContext context, long timeoutNanos) {
    this.request = request;
    this.context = context;
    this.deadlineNanos = timeoutNanos < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutNanos;
  }

  /** The exchange running on this thread, or {@code null}. */
  static @Nullable Exchange current() {
    return CURRENT.get();
  }

  /** Makes this the current exchange; returns the one it replaces, for {@link #exit}. */
  @Nullable Exchange enter() {
    @Nullable Exchange outer = CURRENT.get();
    CURRENT.set(this);
    return outer;
  }

  /** Restores {@code outer} as the current exchange. */
  void exit(@Nullable Exchange outer) {
    if (outer == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(outer);
    }
  }

  HttpUriRequestBase request() {
    return request;
  }

  HttpClientContext context() {
    return context;
  }

  /**
   * Whether the request went over a connection that had served an earlier request: HttpClient
   * counts the requests written on each connection.
   */
  boolean reusedConnection() {
    // Null until a connection was leased for the exchange.
    @Nullable EndpointDetails endpoint = context.getEndpointDetails();
    return endpoint != null && endpoint.getRequestCount() > 1;
  }

  /** Nanoseconds left before the deadline; {@link Long#MAX_VALUE} without one. */
  long remainingNanos() {
    return deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - System.nanoTime();
  }

  /** A new connection is being opened for this exchange: DNS, TCP connect, TLS handshake. */
  void connecting() {
    if (phase == HttpClassifier.Phase.NOT_CONNECTED) {
      phase = HttpClassifier.Phase.CONNECTING;
    }
  }

  /** The request is about to be written: from here on it may reach the server. */
  void transport() {
    phase = HttpClassifier.Phase.MAY_HAVE_BEEN_SENT;
  }

  HttpClassifier.Phase phase() {
    return phase;
  }

  /** The deadline passed: cancel the exchange in whatever phase it is (HttpClient's own abort). */
  void expire() {
    expired = true;
    request.cancel();
  }

  /** Whether the deadline timer cancelled this exchange. */
  boolean expired() {
    return expired;
  }

  /** A byte of the body reached its reader. */
  void bodyStarted() {
    if (!bodyStarted) {
      bodyStarted = true;
    }
  }

  /** Whether the body reader had received data: a streaming handler cannot be called again. */
  boolean isBodyStarted() {
    return bodyStarted;
  }
}
