package dev.lifeline.http.internal;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.Ticker;
import dev.lifeline.core.spi.AttemptOutcome;
import dev.lifeline.core.spi.CallExecution;
import dev.lifeline.core.spi.Decision;
import dev.lifeline.core.spi.LatencyHistogram;
import dev.lifeline.core.spi.Redaction;
import dev.lifeline.http.BodyHandler;
import dev.lifeline.http.Environment;
import dev.lifeline.http.ErrorType;
import dev.lifeline.http.HealthCheckFailedException;
import dev.lifeline.http.HttpClientConfig;
import dev.lifeline.http.HttpRequest;
import dev.lifeline.http.HttpResponse;
import dev.lifeline.http.LifelineHttpClient;
import dev.lifeline.http.LifelineHttpException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.ChainElement;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
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

  /** Tells same-name clients' gauges apart, so that neither reads nor removes the other's. */
  private static final AtomicLong INSTANCES = new AtomicLong();

  /** HttpClient reads a zero timeout as "infinite", so an attempt needs at least this much. */
  private static final Duration MIN_ATTEMPT = Duration.ofMillis(1);

  /** How much of an error answer's body is read to keep its connection; more is discarded. */
  private static final int ERROR_BODY_DRAIN_BYTES = 64 * 1024;

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
  private final MeterRegistry meters;
  private final Ticker ticker;
  private final Clock wallClock = Clock.systemUTC();
  private final String instance = Long.toString(INSTANCES.incrementAndGet());
  private final List<Meter> ownMeters = new ArrayList<>();
  private final AtomicInteger lastHealth = new AtomicInteger(-1);
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Creates the client; see {@link LifelineHttpClient#create}. */
  public DefaultHttpClient(HttpClientConfig config) {
    this.config = config;
    this.policy = config.callPolicy();
    this.name = config.name();
    URI base = config.baseUrl();
    int port = base.getPort() >= 0 ? base.getPort() : base.getScheme().equals("https") ? 443 : 80;
    this.target = base.getHost() + ":" + port;
    this.meters = policy.meterRegistry();
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
    this.pool = pool(config, dns);
    this.client =
        HttpClients.custom()
            .setConnectionManager(pool)
            .addExecInterceptorBefore(
                ChainElement.MAIN_TRANSPORT.name(),
                "lifeline-may-have-been-sent",
                (request, scope, chain) -> {
                  Exchange x = Exchange.current();
                  if (x != null) {
                    x.transport();
                  }
                  return chain.proceed(request, scope);
                })
            .disableAutomaticRetries()
            .disableRedirectHandling()
            .evictExpiredConnections()
            .evictIdleConnections(TimeValue.of(config.idleEviction()))
            .setUserAgent("lifeline-http")
            .build();
    registerGauges();
  }

  private Thread deadlineThread(Runnable r) {
    Thread t = new Thread(r, "lifeline-http-deadlines-" + name);
    t.setDaemon(true);
    return t;
  }

  private static PoolingHttpClientConnectionManager pool(HttpClientConfig config, DnsResolver dns) {
    Timeout connect = Timeout.of(config.connectTimeout());
    return PoolingHttpClientConnectionManagerBuilder.create()
        .setMaxConnTotal(config.maxConnections())
        .setMaxConnPerRoute(config.maxConnectionsPerHost())
        .setDnsResolver(dns)
        .setTlsSocketStrategy(TlsSupport.strategy(config))
        // A new connection is created (not reused) right before it is connected: from here on a
        // failure is the connect's, not the pool wait's.
        .setConnectionFactory(
            socket -> {
              Exchange x = Exchange.current();
              if (x != null) {
                x.connecting();
              }
              return ManagedHttpClientConnectionFactory.INSTANCE.createConnection(socket);
            })
        .setDefaultSocketConfig(
            SocketConfig.custom()
                .setSoTimeout(Timeout.of(config.responseTimeout()))
                .setTcpNoDelay(true)
                .build())
        .setDefaultTlsConfig(TlsConfig.custom().setHandshakeTimeout(connect).build())
        .setDefaultConnectionConfig(
            ConnectionConfig.custom()
                .setConnectTimeout(connect)
                .setSocketTimeout(Timeout.of(config.responseTimeout()))
                .setTimeToLive(TimeValue.of(config.connectionTimeToLive()))
                // A pooled connection idle this long is checked before reuse, so a server
                // that closed it does not cost a failed attempt.
                .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                .build())
        .build();
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

  private void registerGauges() {
    gauge(
        "lifeline.http.pool.leased",
        "Pooled connections in use",
        c -> c.pool.getTotalStats().getLeased());
    gauge(
        "lifeline.http.pool.available",
        "Pooled connections idle and reusable",
        c -> c.pool.getTotalStats().getAvailable());
    gauge(
        "lifeline.http.pool.pending",
        "Requests waiting for a pooled connection",
        c -> c.pool.getTotalStats().getPending());
    gauge(
        "lifeline.http.pool.max",
        "Most pooled connections allowed",
        c -> c.pool.getTotalStats().getMax());
    gauge(
        "lifeline.http.health",
        "1 if the last health check passed, 0 if it failed, -1 before the first",
        c -> c.lastHealth.get());
    // At 0 from the start, so that rate() sees the first check and a panel shows 0, not no data.
    healthChecks(true);
    healthChecks(false);
  }

  private Counter healthChecks(boolean healthy) {
    return Counter.builder("lifeline.http.health.checks")
        .description("Health checks made, by result")
        .tag("client", name)
        .tag("result", healthy ? "healthy" : "unhealthy")
        .register(meters);
  }

  private void gauge(String meter, String description, ToDoubleFunction<DefaultHttpClient> f) {
    ownMeters.add(
        Gauge.builder(meter, this, f)
            .description(description)
            .tag("client", name)
            .tag("client_instance", instance)
            .register(meters));
  }

  @Override
  public HttpResponse execute(HttpRequest request) {
    long max =
        request.maxResponseBytes() >= 0 ? request.maxResponseBytes() : config.maxResponseBytes();
    return call(
        request,
        (response, x) -> {
          HttpEntity entity = response.getEntity();
          byte[] body = entity == null ? NO_BODY : readBody(entity, max);
          return new HttpResponse(response.getCode(), response.getHeaders(), body);
        });
  }

  @Override
  public <T> T executeStreaming(HttpRequest request, BodyHandler<T> handler) {
    long max = request.maxResponseBytes();
    return call(
        request,
        (response, x) -> {
          HttpEntity entity = response.getEntity();
          BodyStream body =
              entity == null
                  ? new BodyStream(InputStream.nullInputStream(), max, x)
                  : body(entity, max, x);
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

  /**
   * The body of {@code entity}, refusing at once one whose announced length is over {@code max}
   * (-1: no limit); {@code handedOut} as for {@link BodyStream}.
   */
  private static BodyStream body(HttpEntity entity, long max, Exchange handedOut)
      throws IOException {
    long announced = entity.getContentLength();
    if (max >= 0 && announced > max) {
      throw ResponseTooLargeException.announced(announced, max);
    }
    return new BodyStream(entity.getContent(), max, handedOut);
  }

  /**
   * Reads a whole body of at most {@code max} bytes. A body of announced length is read into an
   * array of exactly that size; then the end of the stream is read too, which hands the connection
   * back to the pool.
   */
  private static byte[] readBody(HttpEntity entity, long max) throws IOException {
    BodyStream in = body(entity, max, null);
    long announced = entity.getContentLength();
    if (announced < 0) {
      return in.readAllBytes();
    }
    byte[] body = in.readNBytes((int) announced);
    if (in.read() >= 0) {
      // More than announced: HttpClient stops at the length, so this cannot happen; be safe.
      throw new IOException("body longer than its Content-Length " + announced);
    }
    return body;
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

    HandlerFailure(RuntimeException cause) {
      super(cause);
    }

    RuntimeException unwrap() {
      return (RuntimeException) getCause();
    }
  }

  /** A failed attempt: how it is classified and what the engine is told. */
  private record Failure(
      FailureKind kind, ErrorType errorType, int status, Throwable cause, AttemptOutcome outcome) {}

  /** What one attempt produced: a result, or a failure for the engine to decide on. */
  private record Attempted<T>(T result, Failure failure) {}

  private <T> T call(HttpRequest request, Reader<T> reader) {
    if (closed.get()) {
      throw new IllegalStateException("client '" + name + "' is closed");
    }
    Duration timeout = request.timeout() != null ? request.timeout() : config.callTimeout();
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
      if (deadlinePassed(call)) {
        // No attempt could even start: stop without recording one that never happened, and
        // without asking the breaker, for what is a local matter.
        CallReport report = call.abandon(StopReason.DEADLINE);
        ErrorType type = last == null ? ErrorType.TIMEOUT : last.errorType();
        throw fail(call, request, report, type, last);
      }
      if (!call.beforeAttempt()) {
        count(request.method(), -1, "rejected", ErrorType.CIRCUIT_BREAKER_OPEN);
        throw fail(call, request, call.report(), ErrorType.CIRCUIT_BREAKER_OPEN, last);
      }
      Attempted<T> a = attempt(call, request, reader);
      if (a.failure() == null) {
        return a.result();
      }
      last = a.failure();
      Decision decision = call.afterAttempt(last.outcome());
      if (!decision.retry()) {
        throw fail(call, request, decision.report(), last.errorType(), last);
      }
      pause(call, decision.delay(), request);
    }
  }

  /**
   * Whether the call's deadline has passed (or is under {@link #MIN_ATTEMPT} away, which HttpClient
   * would read as "no timeout") before its next attempt, e.g. after a backoff that overslept.
   */
  private static boolean deadlinePassed(CallExecution call) {
    Duration left = call.attemptTimeout();
    return left != null && left.compareTo(MIN_ATTEMPT) < 0;
  }

  /**
   * Makes one attempt and records its metrics. Tells the engine about a success itself; a failure
   * is returned for the engine to decide on. A caller's error or a bug ends the call here.
   */
  private <T> Attempted<T> attempt(CallExecution call, HttpRequest request, Reader<T> reader) {
    Duration left = call.attemptTimeout();
    Exchange x =
        new Exchange(newRequest(request), context(left), left == null ? -1 : left.toNanos());
    long start = ticker.nanos();
    try {
      Attempted<T> a =
          send(
              x,
              left,
              response -> {
                int status = response.getCode();
                if (status < 400 || request.acceptedStatuses().contains(status)) {
                  T result = reader.read(response, x);
                  time(request.method(), status, start);
                  call.succeeded();
                  count(request.method(), status, "success", null);
                  return new Attempted<T>(result, null);
                }
                Duration pushback = pushback(call, status, response);
                drain(response);
                time(request.method(), status, start);
                return statusFailure(request, status, x.reusedConnection(), pushback);
              });
      return a;
    } catch (HandlerFailure e) {
      call.abandon(StopReason.NON_RETRYABLE);
      count(request.method(), -1, "failure", ErrorType.UNEXPECTED_ERROR);
      call.logFailure(ErrorType.UNEXPECTED_ERROR.value(), e.unwrap(), fields(request, -1));
      throw e.unwrap();
    } catch (IOException | RuntimeException e) {
      if (e instanceof RuntimeException && !x.expired()) {
        // A bug or misuse inside HttpClient: not the server's fault, so the breaker is not told.
        count(request.method(), -1, "failure", ErrorType.UNEXPECTED_ERROR);
        throw abandon(call, request, StopReason.NON_RETRYABLE, e);
      }
      time(request.method(), -1, start);
      HttpClassifier.Classified c = HttpClassifier.exception(e, x.phase(), x.expired());
      count(request.method(), -1, "failure", c.errorType());
      String status =
          x.expired() ? "deadline exceeded (" + describe(e, request) + ")" : describe(e, request);
      return failed(c, e, status, x);
    } catch (Error e) {
      // Whatever went wrong, the breaker's permission (a half-open trial) must come back.
      call.abandon(StopReason.NON_RETRYABLE);
      call.logFailure(ErrorType.UNEXPECTED_ERROR.value(), e, fields(request, -1));
      throw e;
    }
  }

  private <T> Attempted<T> statusFailure(
      HttpRequest request, int status, boolean reused, Duration pushback) {
    HttpClassifier.Classified c = HttpClassifier.status(status, reused);
    count(request.method(), status, "failure", c.errorType());
    return new Attempted<>(
        null,
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
    return new Attempted<>(null, new Failure(c.kind(), c.errorType(), -1, cause, outcome));
  }

  /** Sends {@code x}'s request, cancelling it after {@code bound}, and reads the answer. */
  private <T> T send(Exchange x, Duration bound, Answer<T> then) throws IOException {
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
      closeQuietly(response);
    }
  }

  private static void closeQuietly(ClassicHttpResponse response) {
    if (response == null) {
      return;
    }
    try {
      response.close();
    } catch (IOException alreadyDiscarded) {
      // The exchange was cancelled above: its connection is gone either way.
    }
  }

  /**
   * Reads a short error body to its end, which hands its connection back to the pool; a longer one
   * is left unread and its connection discarded after the exchange.
   */
  private static void drain(ClassicHttpResponse response) throws IOException {
    HttpEntity entity = response.getEntity();
    if (entity == null || entity.getContentLength() > ERROR_BODY_DRAIN_BYTES) {
      return;
    }
    InputStream in = new BodyStream(entity.getContent(), ERROR_BODY_DRAIN_BYTES, null);
    byte[] scratch = new byte[4096];
    try {
      while (in.read(scratch) >= 0) {
        // Discarded: the status is the answer.
      }
    } catch (ResponseTooLargeException notShort) {
      // Not worth reading further.
    }
  }

  /**
   * The server's {@code Retry-After} on a 429 or 503 (RFC 9110 10.2.3), clamped to the time left:
   * any wait that long ends the call with {@link StopReason#DEADLINE} instead of sleeping, and the
   * engine never sees a duration too large for its arithmetic.
   */
  private Duration pushback(CallExecution call, int status, ClassicHttpResponse response) {
    if (status != 429 && status != 503) {
      return null;
    }
    Header h = response.getFirstHeader("Retry-After");
    Duration d = HttpClassifier.retryAfter(h == null ? null : h.getValue(), wallClock);
    Duration left = call.remaining();
    return d != null && left != null && d.compareTo(left) > 0 ? left : d;
  }

  private HttpUriRequestBase newRequest(HttpRequest request) {
    HttpUriRequestBase req =
        new HttpUriRequestBase(request.method(), URI.create(config.baseUrl() + request.path()));
    policy.headers().forEach(req::addHeader);
    request.headers().forEach(req::setHeader);
    if (request.hasBody()) {
      // Streamed from the request's own bytes: a large upload is not copied for every attempt.
      ByteArrayInputStream body = request.bodyStream();
      req.setEntity(
          new InputStreamEntity(body, body.available(), ContentType.parse(request.contentType())));
    }
    return req;
  }

  private HttpClientContext context(Duration bound) {
    HttpClientContext ctx = HttpClientContext.create();
    ctx.setRequestConfig(requestConfig(bound));
    return ctx;
  }

  /**
   * Every wait of the exchange capped by {@code bound}, the time left. The connect timeout is set
   * per request with HttpClient's deprecated setter, which 5.5 still honours: its replacement in
   * {@link ConnectionConfig} is per route and cannot follow one call's deadline.
   */
  @SuppressWarnings("deprecation")
  private RequestConfig requestConfig(Duration bound) {
    Duration connect = config.connectTimeout();
    Duration response = config.responseTimeout();
    Duration poolWait = config.callTimeout();
    if (bound != null) {
      connect = min(connect, bound);
      response = min(response, bound);
      poolWait = bound;
    }
    return RequestConfig.custom()
        .setConnectionRequestTimeout(millis(poolWait))
        .setConnectTimeout(millis(connect))
        .setResponseTimeout(millis(response))
        .build();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** At least 1 ms: HttpClient reads zero as "no timeout". */
  private static Timeout millis(Duration d) {
    return Timeout.ofMilliseconds(Math.max(1, d.toMillis()));
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
    return fail(
        call,
        request,
        report,
        ErrorType.UNEXPECTED_ERROR,
        new Failure(null, ErrorType.UNEXPECTED_ERROR, -1, cause, null));
  }

  /** Builds the exception of a failed call and has the engine log its one WARN with it. */
  private LifelineHttpException fail(
      CallExecution call, HttpRequest request, CallReport report, ErrorType type, Failure last) {
    int status = last == null ? -1 : last.status();
    FailureKind kind = last == null ? null : last.kind();
    Throwable cause = last == null ? null : last.cause();
    LifelineHttpException e =
        new LifelineHttpException(report, type, kind, status, Redact.path(request.path()), cause);
    call.logFailure(type.value(), e, fields(request, status));
    return e;
  }

  /** The HTTP fields of the failure WARN; the engine adds the call's own. */
  private static Map<String, Object> fields(HttpRequest request, int status) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("http_method", request.method());
    f.put("path", Redact.path(request.path()));
    f.put("status", status < 0 ? "none" : String.valueOf(status));
    if (!request.headers().isEmpty()) {
      f.put("request_headers", Redaction.redactHeaders(request.headers()));
    }
    return f;
  }

  /** An exception as attempt text, without secret header values or query values. */
  private String describe(Throwable e, HttpRequest request) {
    return describe(e, request.path(), request.headers());
  }

  private String describe(Throwable e, String path, Map<String, String> requestHeaders) {
    String msg = e.getMessage();
    String text = e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    return Redact.scrub(
        Redaction.scrub(Redaction.scrub(text, policy.headers()), requestHeaders), path);
  }

  private void count(String method, int status, String outcome, ErrorType type) {
    Counter.builder("lifeline.http.requests")
        .description("HTTP attempts by method, status class, outcome and error type")
        .tag("client", name)
        .tag("method", method)
        .tag("status_class", HttpClassifier.statusClass(status))
        .tag("outcome", outcome)
        .tag("error_type", type == null ? "none" : type.value())
        .register(meters)
        .increment();
  }

  private void time(String method, int status, long startNanos) {
    LatencyHistogram.buckets(Timer.builder("lifeline.http.request.duration"))
        .description("HTTP attempt latency")
        .tag("client", name)
        .tag("method", method)
        .tag("status_class", HttpClassifier.statusClass(status))
        .register(meters)
        .record(Math.max(0, ticker.nanos() - startNanos), TimeUnit.NANOSECONDS);
  }

  @Override
  public boolean healthCheck() {
    if (closed.get()) {
      throw new IllegalStateException("client '" + name + "' is closed");
    }
    String shown = config.baseUrl() + Redact.path(config.healthPath());
    HttpUriRequestBase req =
        new HttpUriRequestBase("GET", URI.create(config.baseUrl() + config.healthPath()));
    policy.headers().forEach(req::addHeader);
    Duration bound = config.responseTimeout();
    Exchange x = new Exchange(req, context(bound), bound.toNanos());
    String detail;
    Throwable cause = null;
    boolean healthy;
    try {
      int status =
          send(
              x,
              bound,
              r -> {
                drain(r);
                return r.getCode();
              });
      healthy = status >= 200 && status < 300;
      detail = "status=" + status;
    } catch (IOException | RuntimeException e) {
      healthy = false;
      detail =
          (x.expired() ? "deadline exceeded: " : "") + describe(e, config.healthPath(), Map.of());
      cause = e;
    }
    lastHealth.set(healthy ? 1 : 0);
    healthChecks(healthy).increment();
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
    ownMeters.forEach(meters::remove);
    client.close(CloseMode.GRACEFUL);
    deadlines.shutdownNow();
    boundedDns.close();
  }

  @Override
  public String toString() {
    return "LifelineHttpClient{" + name + " -> " + config.baseUrl() + "}";
  }
}
