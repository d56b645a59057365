package dev.lifeline.http.internal;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.Ticker;
import dev.lifeline.core.spi.AttemptOutcome;
import dev.lifeline.core.spi.CallExecution;
import dev.lifeline.core.spi.Decision;
import dev.lifeline.http.BodyHandler;
import dev.lifeline.http.Environment;
import dev.lifeline.http.ErrorType;
import dev.lifeline.http.HealthCheckFailedException;
import dev.lifeline.http.HttpClientConfig;
import dev.lifeline.http.HttpRequest;
import dev.lifeline.http.HttpResponse;
import dev.lifeline.http.LifelineHttpClient;
import dev.lifeline.http.LifelineHttpException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.io.CloseMode;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LifelineHttpClient} on Apache HttpClient 5's classic (blocking) API with a {@link
 * PoolingHttpClientConnectionManager}, driven attempt by attempt by the shared {@link
 * CallExecution} engine.
 *
 * <p>Every exchange is bounded: a timer cancels it at the attempt's deadline through HttpClient's
 * own abort ({@link HttpUriRequestBase#cancel()}), which closes the socket whatever the exchange is
 * doing; DNS lookups wait at most the time left; the connect timeout is capped by it; the TLS
 * handshake has its own timeout; bodies are read through a {@link BodyStream} that fails past the
 * maximum size.
 *
 * <p>HttpClient's own retries are off so that attempts never multiply; redirects are not followed
 * so every exchange is visible to the policy.
 *
 * <p>Thread-safe: the pool, HttpClient and the timer are thread-safe; per-call state lives on the
 * stack and in the calling thread's {@link Exchange}.
 */
public final class DefaultHttpClient implements LifelineHttpClient {

  private static final Logger log = LoggerFactory.getLogger(DefaultHttpClient.class);

  private static final byte[] NO_BODY = new byte[0];

  private final HttpClientConfig config;
  private final String name;
  private final String target;
  private final CallPolicy policy;
  private final PoolingHttpClientConnectionManager pool;
  private final CloseableHttpClient client;
  private final BoundedDnsResolver boundedDns;
  private final DnsResolver dns;
  private final ScheduledThreadPoolExecutor deadlines;
  private final HttpMeters meters;
  private final Ticker ticker;
  private final Clock wallClock = Clock.systemUTC();
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Creates the client; see {@link LifelineHttpClient#create}. */
  public DefaultHttpClient(HttpClientConfig config) {
    this.config = config;
    this.policy = config.callPolicy();
    this.name = config.name();
    URI base = config.baseUrl();
    int port = base.getPort() >= 0 ? base.getPort() : base.getScheme().equals("https") ? 443 : 80;
    this.target = base.getHost() + ":" + port;
    this.ticker = policy.ticker();
    warnIfInsecure();
    this.boundedDns =
        new BoundedDnsResolver(SystemDefaultDnsResolver.INSTANCE, config.connectTimeout(), name);
    this.dns =
        config.dnsCacheTtl().isZero()
            ? boundedDns
            : new CachingDnsResolver(boundedDns, config.dnsCacheTtl(), ticker);
    this.deadlines = new ScheduledThreadPoolExecutor(1, this::deadlineThread);
    // Cancelled timers (every attempt that ends in time) must not pile up in the queue.
    deadlines.setRemoveOnCancelPolicy(true);
    this.pool = ApacheClients.pool(config, dns);
    this.client = ApacheClients.client(config, pool);
    this.meters = new HttpMeters(policy.meterRegistry(), name, pool);
  }

  private Thread deadlineThread(Runnable r) {
    Thread t = new Thread(r, "lifeline-http-deadlines-" + name);
    t.setDaemon(true);
    return t;
  }

  private void warnIfInsecure() {
    if (config.tlsVerification()) {
      return;
    }
    if (config.environment() == Environment.PRODUCTION) {
      log.atError()
          .addKeyValue("client", name)
          .addKeyValue("environment", config.environment().value())
          .log("TLS verification is DISABLED in production for client '{}' (forced)", name);
    } else {
      log.atWarn()
          .addKeyValue("client", name)
          .addKeyValue("environment", config.environment().value())
          .log("TLS verification is DISABLED for client '{}': use only in development", name);
    }
  }

  @Override
  public HttpResponse execute(HttpRequest request) {
    long max =
        request.maxResponseBytes() >= 0 ? request.maxResponseBytes() : config.maxResponseBytes();
    return call(
        request,
        (response, x) -> {
          @Nullable HttpEntity entity = response.getEntity();
          byte[] body = entity == null ? NO_BODY : ResponseBodies.readBody(entity, max);
          return new HttpResponse(response.getCode(), response.getHeaders(), body);
        });
  }

  @Override
  public <T> T executeStreaming(HttpRequest request, BodyHandler<T> handler) {
    long max = request.maxResponseBytes();
    return call(
        request,
        (response, x) -> {
          @Nullable HttpEntity entity = response.getEntity();
          BodyStream body =
              entity == null
                  ? new BodyStream(InputStream.nullInputStream(), max, x)
                  : ResponseBodies.body(entity, max, x);
          HttpResponse head = new HttpResponse(response.getCode(), response.getHeaders(), NO_BODY);
          try {
            return handler.handle(head, body);
          } catch (IOException e) {
            if (body.raised(e)) {
              throw e;
            }
            throw new HandlerFailure(new UncheckedIOException(e));
          } catch (RuntimeException e) {
            throw new HandlerFailure(e);
          }
        });
  }

  /** Reads an accepted answer into the call's result; runs inside the exchange's deadline. */
  private interface Reader<T> {
    T read(ClassicHttpResponse response, Exchange exchange) throws IOException;
  }

  /** What to do with the answer of an exchange; runs inside the exchange's deadline. */
  private interface Answer<T> {
    T apply(ClassicHttpResponse response) throws IOException;
  }

  /** An exception thrown by a {@link BodyHandler} itself: the caller's, rethrown as it is. */
  private static final class HandlerFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final RuntimeException handlerException;

    HandlerFailure(RuntimeException cause) {
      super(cause);
      this.handlerException = cause;
    }

    RuntimeException unwrap() {
      return handlerException;
    }
  }

  /** A failed attempt: how it is classified and what the engine is told. */
  private record Failure(
      FailureKind kind,
      ErrorType errorType,
      int status,
      @Nullable Throwable cause,
      AttemptOutcome outcome) {}

  /** What one attempt produced: a result, or a failure for the engine to decide on. */
  private sealed interface Attempted<T> {}

  private record Succeeded<T>(T result) implements Attempted<T> {}

  private record Failed<T>(Failure failure) implements Attempted<T> {}

  private <T> T call(HttpRequest request, Reader<T> reader) {
    if (closed.get()) {
      throw new IllegalStateException("client '" + name + "' is closed");
    }
    Duration timeout = request.timeout().orElse(config.callTimeout());
    CallExecution call =
        CallExecution.start(
                policy,
                target,
                request.route(),
                timeout,
                RequestRetryPolicy.of(policy, request),
                request.idempotent())
            .deferFailureLog();
    Failure last = null;
    while (true) {
      if (HttpDecisions.deadlinePassed(call.attemptTimeout())) {
        // No attempt could even start: stop without recording one that never happened, and
        // without asking the breaker, for what is a local matter.
        CallReport report = call.abandon(StopReason.DEADLINE);
        ErrorType type = last == null ? ErrorType.TIMEOUT : last.errorType();
        throw fail(call, request, report, type, last);
      }
      if (!call.beforeAttempt()) {
        meters.count(request.method(), -1, "rejected", ErrorType.CIRCUIT_BREAKER_OPEN);
        throw fail(call, request, call.report(), ErrorType.CIRCUIT_BREAKER_OPEN, last);
      }
      Attempted<T> a = attempt(call, request, reader);
      if (a instanceof Succeeded<T> succeeded) {
        return succeeded.result();
      }
      Failure failure = ((Failed<T>) a).failure();
      last = failure;
      Decision decision = call.afterAttempt(failure.outcome());
      if (!decision.retry()) {
        throw fail(call, request, decision.report(), failure.errorType(), failure);
      }
      pause(call, decision.delay(), request);
    }
  }

  /**
   * Makes one attempt and records its metrics. Tells the engine about a success itself; a failure
   * is returned for the engine to decide on. A caller's error or a bug ends the call here.
   */
  private <T> Attempted<T> attempt(CallExecution call, HttpRequest request, Reader<T> reader) {
    Duration left = call.attemptTimeout();
    Exchange x =
        new Exchange(
            ApacheClients.newRequest(config, policy, request),
            ApacheClients.context(config, left),
            left == null ? -1 : left.toNanos());
    long start = ticker.nanos();
    try {
      Attempted<T> a =
          send(
              x,
              left,
              response -> {
                int status = response.getCode();
                if (HttpDecisions.isAccepted(status, request.acceptedStatuses())) {
                  T result = reader.read(response, x);
                  meters.time(request.method(), status, ticker.nanos() - start);
                  meters.count(request.method(), status, "success", null);
                  // Last: whatever throws before it fails a call that has not succeeded.
                  call.succeeded();
                  return new Succeeded<T>(result);
                }
                Duration pushback = pushback(call, status, response);
                ResponseBodies.drain(response);
                meters.time(request.method(), status, ticker.nanos() - start);
                return statusFailure(request, status, x.reusedConnection(), pushback);
              });
      return a;
    } catch (HandlerFailure e) {
      call.abandon(StopReason.NON_RETRYABLE);
      meters.count(request.method(), -1, "failure", ErrorType.UNEXPECTED_ERROR);
      call.logFailure(
          ErrorType.UNEXPECTED_ERROR.value(), e.unwrap(), FailedCalls.fields(request, -1));
      throw e.unwrap();
    } catch (IOException | RuntimeException e) {
      if (e instanceof RuntimeException && !x.expired()) {
        // A bug or misuse inside HttpClient: not the server's fault, so the breaker is not told.
        meters.count(request.method(), -1, "failure", ErrorType.UNEXPECTED_ERROR);
        throw abandon(call, request, StopReason.NON_RETRYABLE, e);
      }
      meters.time(request.method(), -1, ticker.nanos() - start);
      HttpClassifier.Classified c = HttpClassifier.exception(e, x.phase(), x.expired());
      meters.count(request.method(), -1, "failure", c.errorType());
      String status =
          x.expired() ? "deadline exceeded (" + describe(e, request) + ")" : describe(e, request);
      return failed(c, e, status, x);
    } catch (Error e) {
      // Whatever went wrong, the breaker's permission (a half-open trial) must come back.
      call.abandon(StopReason.NON_RETRYABLE);
      call.logFailure(ErrorType.UNEXPECTED_ERROR.value(), e, FailedCalls.fields(request, -1));
      throw e;
    }
  }

  private <T> Attempted<T> statusFailure(
      HttpRequest request, int status, boolean reused, @Nullable Duration pushback) {
    HttpClassifier.Classified c = HttpClassifier.status(status, reused);
    meters.count(request.method(), status, "failure", c.errorType());
    return new Failed<>(
        new Failure(
            c.kind(), c.errorType(), status, null, c.outcome("HTTP " + status).pushback(pushback)));
  }

  private static <T> Attempted<T> failed(
      HttpClassifier.Classified c, Throwable cause, String text, Exchange x) {
    AttemptOutcome outcome = c.outcome(text);
    if (x.isBodyStarted()) {
      // A body handler already saw data: calling it again would hand it the body twice.
      outcome = outcome.streamStarted();
    }
    return new Failed<>(new Failure(c.kind(), c.errorType(), -1, cause, outcome));
  }

  /** Sends {@code x}'s request, cancelling it after {@code bound}, and reads the answer. */
  private <T> T send(Exchange x, @Nullable Duration bound, Answer<T> then) throws IOException {
    ScheduledFuture<?> timer =
        bound == null ? null : deadlines.schedule(x::expire, bound.toNanos(), TimeUnit.NANOSECONDS);
    Exchange outer = x.enter();
    ClassicHttpResponse response = null;
    try {
      response = client.executeOpen(null, x.request(), x.context());
      return then.apply(response);
    } finally {
      if (timer != null) {
        timer.cancel(false);
      }
      x.exit(outer);
      // Discards the connection unless the body was read to its end (then it is back in the
      // pool and this does nothing): never drain an unknown rest of a body.
      x.request().cancel();
      ResponseBodies.closeQuietly(response);
    }
  }

  /** The server's {@code Retry-After}, clamped: see {@link HttpDecisions#pushback}. */
  private @Nullable Duration pushback(
      CallExecution call, int status, ClassicHttpResponse response) {
    @Nullable Header h = response.getFirstHeader("Retry-After");
    return HttpDecisions.pushback(
        status,
        HttpClassifier.retryAfter(h == null ? null : h.getValue(), wallClock),
        call.remaining());
  }

  private void pause(CallExecution call, Duration delay, HttpRequest request) {
    try {
      config.sleeper().sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw abandon(call, request, StopReason.CANCELLED, e);
    }
  }

  /**
   * Ends the call without a further attempt for something that is not the server's doing; the
   * breaker's permission, if held, is released.
   */
  private LifelineHttpException abandon(
      CallExecution call, HttpRequest request, StopReason reason, Throwable cause) {
    CallReport report = call.abandon(reason);
    return FailedCalls.logged(call, request, ErrorType.UNEXPECTED_ERROR, report, null, -1, cause);
  }

  /** The exception of a call that failed after {@code last}, if any attempt failed. */
  private LifelineHttpException fail(
      CallExecution call,
      HttpRequest request,
      @Nullable CallReport report,
      ErrorType type,
      @Nullable Failure last) {
    return last == null
        ? FailedCalls.logged(call, request, type, report, null, -1, null)
        : FailedCalls.logged(call, request, type, report, last.kind(), last.status(), last.cause());
  }

  /** An exception as attempt text, without secret header values or query values. */
  private String describe(Throwable e, HttpRequest request) {
    return Redact.exception(e, request.path(), policy.headers(), request.headers());
  }

  @Override
  public boolean healthCheck() {
    if (closed.get()) {
      throw new IllegalStateException("client '" + name + "' is closed");
    }
    String shown = config.baseUrl() + Redact.requestPath(config.healthPath());
    HttpUriRequestBase req =
        new HttpUriRequestBase("GET", URI.create(config.baseUrl() + config.healthPath()));
    policy.headers().forEach(req::addHeader);
    Duration bound = config.responseTimeout();
    Exchange x = new Exchange(req, ApacheClients.context(config, bound), bound.toNanos());
    String detail;
    Throwable cause = null;
    boolean healthy;
    try {
      int status =
          send(
              x,
              bound,
              r -> {
                ResponseBodies.drain(r);
                return r.getCode();
              });
      healthy = HttpDecisions.isHealthy(status);
      detail = "status=" + status;
    } catch (IOException | RuntimeException e) {
      healthy = false;
      detail =
          (x.expired() ? "deadline exceeded: " : "")
              + Redact.exception(e, config.healthPath(), policy.headers(), Map.of());
      cause = e;
    }
    meters.health(healthy);
    if (healthy) {
      log.atDebug()
          .addKeyValue("client", name)
          .addKeyValue("url", shown)
          .log("health check passed");
      return true;
    }
    String message = "health check of client '" + name + "' failed: GET " + shown + " -> " + detail;
    HealthCheckFailedException failure =
        config.failedHealthCheckThrows() ? new HealthCheckFailedException(message, cause) : null;
    log.atWarn()
        .addKeyValue("client", name)
        .addKeyValue("error_type", ErrorType.HEALTH_CHECK_FAILED.value())
        .addKeyValue("url", shown)
        .addKeyValue("environment", config.environment().value())
        .setCause(failure != null ? failure : cause)
        .log(message);
    if (failure != null) {
      throw failure;
    }
    return false;
  }

  @Override
  public dev.lifeline.http.PoolStats poolStats() {
    org.apache.hc.core5.pool.PoolStats s = pool.getTotalStats();
    return new dev.lifeline.http.PoolStats(
        s.getLeased(), s.getAvailable(), s.getPending(), s.getMax());
  }

  /** The DNS resolver in use (a {@link CachingDnsResolver} unless the TTL is zero). */
  public DnsResolver dnsResolver() {
    return dns;
  }

  @Override
  public HttpClientConfig config() {
    return config;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    meters.remove();
    client.close(CloseMode.GRACEFUL);
    deadlines.shutdownNow();
    boundedDns.close();
  }

  @Override
  public String toString() {
    return "LifelineHttpClient{" + name + " -> " + config.baseUrl() + "}";
  }
}
