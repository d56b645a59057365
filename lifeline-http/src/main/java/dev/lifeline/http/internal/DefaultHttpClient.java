package dev.lifeline.http.internal;

import dev.lifeline.core.AttemptOutcome;
import dev.lifeline.core.CallExecution;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.Decision;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.Redaction;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.Ticker;
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
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
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
 * <p>HttpClient's own retries are off so that attempts never multiply; redirects are not followed
 * so every exchange is visible to the policy.
 *
 * <p>Thread-safe: the pool and HttpClient are thread-safe; per-call state lives on the stack.
 */
public final class DefaultHttpClient implements LifelineHttpClient {

  private static final Logger log = LoggerFactory.getLogger(DefaultHttpClient.class);

  private final HttpClientConfig config;
  private final String name;
  private final String target;
  private final CallPolicy policy;
  private final PoolingHttpClientConnectionManager pool;
  private final CloseableHttpClient client;
  private final DnsResolver dns;
  private final MeterRegistry meters;
  private final Ticker ticker;
  private final Clock wallClock = Clock.systemUTC();
  private final List<Meter> ownMeters = new ArrayList<>();
  private final AtomicInteger lastHealth = new AtomicInteger(-1);
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Creates the client; see {@link LifelineHttpClient#create}. */
  public DefaultHttpClient(HttpClientConfig config) {
    this.config = config;
    this.name = config.name();
    URI base = config.baseUrl();
    int port = base.getPort() >= 0 ? base.getPort() : base.getScheme().equals("https") ? 443 : 80;
    this.target = base.getHost() + ":" + port;
    this.meters = config.meterRegistry();
    this.ticker = config.ticker();
    if (!config.tlsVerification()) {
      if (config.isProduction()) {
        log.atError()
            .addKeyValue("client", name)
            .addKeyValue("environment", config.environment())
            .log("TLS verification is DISABLED in production for client '{}' (forced)", name);
      } else {
        log.atWarn()
            .addKeyValue("client", name)
            .addKeyValue("environment", config.environment())
            .log("TLS verification is DISABLED for client '{}': use only in development", name);
      }
    }
    this.dns =
        config.dnsCacheTtl().isZero()
            ? SystemDefaultDnsResolver.INSTANCE
            : new CachingDnsResolver(
                SystemDefaultDnsResolver.INSTANCE, config.dnsCacheTtl(), ticker);
    this.pool =
        PoolingHttpClientConnectionManagerBuilder.create()
            .setMaxConnTotal(config.maxConnections())
            .setMaxConnPerRoute(config.maxConnectionsPerHost())
            .setDnsResolver(dns)
            .setTlsSocketStrategy(TlsSupport.strategy(config))
            .setDefaultConnectionConfig(
                ConnectionConfig.custom()
                    .setConnectTimeout(Timeout.of(config.connectTimeout()))
                    .setSocketTimeout(Timeout.of(config.responseTimeout()))
                    .setTimeToLive(TimeValue.of(config.connectionTimeToLive()))
                    // A pooled connection idle this long is checked before reuse, so a server
                    // that closed it does not cost a failed attempt.
                    .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                    .build())
            .build();
    this.client =
        HttpClients.custom()
            .setConnectionManager(pool)
            .disableAutomaticRetries()
            .disableRedirectHandling()
            .evictExpiredConnections()
            .evictIdleConnections(TimeValue.of(config.idleEviction()))
            .setUserAgent("lifeline-http")
            .build();
    this.policy = callPolicy(config);
    registerGauges();
  }

  private static CallPolicy callPolicy(HttpClientConfig config) {
    RetryPolicy idempotent = config.retryPolicy();
    // Non-idempotent methods are retried only when the request provably was not sent.
    RetryPolicy unsafe = idempotent.toBuilder().idempotent(false).build();
    CallPolicy.Builder b =
        CallPolicy.builder()
            .service(config.name())
            .retryPolicy(idempotent)
            .circuitBreakers(config.circuitBreakers())
            .meterRegistry(config.meterRegistry())
            .ticker(config.ticker());
    for (String m : HttpRequest.NON_IDEMPOTENT_METHODS) {
      b.retryPolicy(m, unsafe);
    }
    if (config.retryBudget() != null) {
      b.retryBudget(config.retryBudget());
    }
    config.headers().forEach(b::header);
    return b.build();
  }

  private void registerGauges() {
    gauge("lifeline.http.pool.leased", c -> c.pool.getTotalStats().getLeased());
    gauge("lifeline.http.pool.available", c -> c.pool.getTotalStats().getAvailable());
    gauge("lifeline.http.pool.pending", c -> c.pool.getTotalStats().getPending());
    gauge("lifeline.http.pool.max", c -> c.pool.getTotalStats().getMax());
    gauge("lifeline.http.health", c -> c.lastHealth.get());
  }

  private void gauge(String meter, ToDoubleFunction<DefaultHttpClient> f) {
    ownMeters.add(Gauge.builder(meter, this, f).tag("client", name).register(meters));
  }

  @Override
  public HttpResponse execute(HttpRequest request) {
    if (closed.get()) {
      throw new IllegalStateException("client '" + name + "' is closed");
    }
    Duration timeout = request.timeout() != null ? request.timeout() : config.callTimeout();
    CallExecution call = policy.start(target, request.method(), timeout, request.idempotent());
    Failure last = null;
    while (true) {
      if (!call.beforeAttempt()) {
        count(request.method(), -1, "rejected", ErrorType.CIRCUIT_BREAKER_OPEN);
        throw fail(request, call.report(), ErrorType.CIRCUIT_BREAKER_OPEN, last);
      }
      Object result = attempt(call, request);
      if (result instanceof HttpResponse response) {
        return response;
      }
      last = (Failure) result;
      Decision decision = call.afterAttempt(last.outcome);
      if (!decision.retry()) {
        throw fail(request, decision.report(), last.errorType, last);
      }
      pause(call, decision.delay(), request);
    }
  }

  /** A failed attempt: how it is classified and what the engine is told. */
  private record Failure(
      FailureKind kind, ErrorType errorType, int status, Throwable cause, AttemptOutcome outcome) {}

  /**
   * Makes one attempt and records its metrics. Returns the {@link HttpResponse} after telling the
   * engine it succeeded, or a {@link Failure} for the engine to decide on.
   */
  private Object attempt(CallExecution call, HttpRequest request) {
    Duration attemptTimeout = call.attemptTimeout();
    if (attemptTimeout != null && attemptTimeout.toMillis() < 1) {
      // HttpClient reads a zero timeout as "infinite"; the deadline has passed, so send nothing.
      return new Failure(
          FailureKind.TIMEOUT,
          ErrorType.TIMEOUT,
          -1,
          null,
          AttemptOutcome.failure(FailureKind.TIMEOUT, "deadline exceeded").notSent());
    }
    long start = ticker.nanos();
    HttpResponse response;
    try {
      response = exchange(request, attemptTimeout);
    } catch (IOException e) {
      HttpClassifier.Classified c = HttpClassifier.exception(e);
      time(request.method(), -1, start);
      count(request.method(), -1, "failure", c.errorType());
      AttemptOutcome outcome = AttemptOutcome.failure(c.kind(), describe(e));
      return new Failure(
          c.kind(), c.errorType(), -1, e, c.provablyNotSent() ? outcome.notSent() : outcome);
    } catch (RuntimeException e) {
      // A bug or misuse inside HttpClient: not the server's fault, so the breaker is not told.
      CallReport report = call.abandon(StopReason.NON_RETRYABLE);
      count(request.method(), -1, "failure", ErrorType.UNEXPECTED_ERROR);
      throw fail(
          request,
          report,
          ErrorType.UNEXPECTED_ERROR,
          new Failure(null, ErrorType.UNEXPECTED_ERROR, -1, e, null));
    }
    int status = response.status();
    time(request.method(), status, start);
    if (status < 400 || request.acceptedStatuses().contains(status)) {
      call.succeeded();
      count(request.method(), status, "success", null);
      return response;
    }
    HttpClassifier.Classified c = HttpClassifier.status(status);
    count(request.method(), status, "failure", c.errorType());
    // RFC 9110 10.2.3: Retry-After accompanies 503 and 429.
    Duration pushback =
        status == 429 || status == 503
            ? HttpClassifier.retryAfter(response.header("retry-after").orElse(null), wallClock)
            : null;
    return new Failure(
        c.kind(),
        c.errorType(),
        status,
        null,
        AttemptOutcome.failure(c.kind(), "HTTP " + status).pushback(pushback));
  }

  private HttpResponse exchange(HttpRequest request, Duration attemptTimeout) throws IOException {
    ClassicHttpRequest req =
        new BasicClassicHttpRequest(
            request.method(), URI.create(config.baseUrl() + request.path()));
    policy.headers().forEach(req::addHeader);
    request.headers().forEach(req::setHeader);
    if (request.hasBody()) {
      req.setEntity(new ByteArrayEntity(request.body(), ContentType.parse(request.contentType())));
    }
    HttpClientContext ctx = HttpClientContext.create();
    ctx.setRequestConfig(requestConfig(attemptTimeout));
    return client.execute(
        req,
        ctx,
        r -> {
          Map<String, String> headers = new LinkedHashMap<>();
          for (Header h : r.getHeaders()) {
            headers.putIfAbsent(h.getName(), h.getValue());
          }
          HttpEntity entity = r.getEntity();
          byte[] body = entity == null ? new byte[0] : EntityUtils.toByteArray(entity);
          return new HttpResponse(r.getCode(), headers, body);
        });
  }

  private RequestConfig requestConfig(Duration attemptTimeout) {
    Duration response = config.responseTimeout();
    Duration poolWait = config.callTimeout();
    if (attemptTimeout != null) {
      response = attemptTimeout.compareTo(response) < 0 ? attemptTimeout : response;
      poolWait = attemptTimeout;
    }
    return RequestConfig.custom()
        .setConnectionRequestTimeout(Timeout.of(poolWait))
        .setResponseTimeout(Timeout.of(response))
        .build();
  }

  private void pause(CallExecution call, Duration delay, HttpRequest request) {
    try {
      config.sleeper().sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      CallReport report = call.abandon(StopReason.CANCELLED);
      throw fail(request, report, ErrorType.UNEXPECTED_ERROR, new Failure(null, null, -1, e, null));
    }
  }

  private LifelineHttpException fail(
      HttpRequest request, CallReport report, ErrorType type, Failure last) {
    int status = last == null ? -1 : last.status;
    FailureKind kind = last == null ? null : last.kind;
    Throwable cause = last == null ? null : last.cause;
    log.atWarn()
        .addKeyValue("client", name)
        .addKeyValue("error_type", type.value())
        .addKeyValue("method", request.method())
        .addKeyValue("path", request.path())
        .addKeyValue("target", target)
        .addKeyValue("status", status < 0 ? "none" : String.valueOf(status))
        .addKeyValue("attempts", report.attempts().size())
        .addKeyValue("stop_reason", report.stopReason())
        .addKeyValue("headers", redactedHeaders(request))
        .log(report.message());
    return new LifelineHttpException(report, type, kind, status, cause);
  }

  private Map<String, String> redactedHeaders(HttpRequest request) {
    Map<String, String> all = new LinkedHashMap<>(policy.headers());
    all.putAll(request.headers());
    return Redaction.redactHeaders(all);
  }

  private String describe(IOException e) {
    String msg = e.getMessage();
    String text = e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    return policy.redact(text);
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
    Timer.builder("lifeline.http.request.duration")
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
    URI uri = URI.create(config.baseUrl() + config.healthPath());
    String detail;
    Throwable cause = null;
    boolean healthy;
    try {
      ClassicHttpRequest req = new BasicClassicHttpRequest("GET", uri);
      policy.headers().forEach(req::addHeader);
      HttpClientContext ctx = HttpClientContext.create();
      ctx.setRequestConfig(requestConfig(config.responseTimeout()));
      int status =
          client.execute(
              req,
              ctx,
              r -> {
                EntityUtils.consume(r.getEntity());
                return r.getCode();
              });
      healthy = status >= 200 && status < 300;
      detail = "status=" + status;
    } catch (IOException e) {
      healthy = false;
      detail = describe(e);
      cause = e;
    }
    lastHealth.set(healthy ? 1 : 0);
    Counter.builder("lifeline.http.health.checks")
        .tag("client", name)
        .tag("result", healthy ? "healthy" : "unhealthy")
        .register(meters)
        .increment();
    if (healthy) {
      log.atDebug().addKeyValue("client", name).addKeyValue("url", uri).log("health check passed");
      return true;
    }
    String message =
        "health check of client '"
            + name
            + "' failed"
            + (config.isProduction() ? " in production" : "")
            + ": GET "
            + uri
            + " -> "
            + detail;
    log.atWarn()
        .addKeyValue("client", name)
        .addKeyValue("error_type", ErrorType.HEALTH_CHECK_FAILED.value())
        .addKeyValue("url", uri)
        .addKeyValue("environment", config.environment())
        .log(message);
    if (config.isProduction()) {
      throw new HealthCheckFailedException(message, cause);
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
  }

  @Override
  public String toString() {
    return "LifelineHttpClient{" + name + " -> " + config.baseUrl() + "}";
  }
}
