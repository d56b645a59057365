package dev.lifeline.http.internal;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.http.HttpClientConfig;
import dev.lifeline.http.HttpRequest;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.time.Duration;
import org.apache.hc.client5.http.DnsResolver;
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
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.http.io.entity.InputStreamEntity;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.jspecify.annotations.Nullable;

/**
 * How Lifeline configures Apache HttpClient 5 for a {@link DefaultHttpClient}: the pool, the client
 * (no retries, no redirects, the marker of an exchange that reached the transport) and each
 * attempt's request and timeouts.
 *
 * <p>Stateless and thread-safe; what it builds is HttpClient's, which is thread-safe.
 */
final class ApacheClients {

  private ApacheClients() {}

  /** The client on {@code pool}: HttpClient's own retries and redirects are off. */
  static CloseableHttpClient client(
      HttpClientConfig config, PoolingHttpClientConnectionManager pool) {
    return HttpClients.custom()
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
  }

  /** The connection pool: sizes, DNS, TLS, timeouts and the marker of a fresh connection. */
  static PoolingHttpClientConnectionManager pool(HttpClientConfig config, DnsResolver dns) {
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

  /** A fresh request for one attempt: the policy's headers, the request's own, its body. */
  static HttpUriRequestBase newRequest(
      HttpClientConfig config, CallPolicy policy, HttpRequest request) {
    HttpUriRequestBase req =
        new HttpUriRequestBase(request.method(), URI.create(config.baseUrl() + request.path()));
    policy.headers().forEach(req::addHeader);
    request.headers().forEach(req::setHeader);
    if (request.hasBody()) {
      // Streamed from the request's own bytes: a large upload is not copied for every attempt.
      ByteArrayInputStream body = request.bodyStream();
      // A body always comes with its content type: the builder sets both.
      ContentType type = request.contentType().map(ContentType::parse).orElse(null);
      req.setEntity(new InputStreamEntity(body, body.available(), type));
    }
    return req;
  }

  /** A context whose request config caps every wait at {@code bound} ({@code null}: none). */
  static HttpClientContext context(HttpClientConfig config, @Nullable Duration bound) {
    HttpClientContext ctx = HttpClientContext.create();
    ctx.setRequestConfig(requestConfig(config, bound));
    return ctx;
  }

  /**
   * Every wait of the exchange capped by {@code bound}, the time left. The connect timeout is set
   * per request with HttpClient's deprecated setter, which 5.5 still honours: its replacement in
   * {@link ConnectionConfig} is per route and cannot follow one call's deadline.
   */
  @SuppressWarnings("deprecation")
  private static RequestConfig requestConfig(HttpClientConfig config, @Nullable Duration bound) {
    HttpDecisions.Timeouts t =
        HttpDecisions.timeouts(
            config.connectTimeout(), config.responseTimeout(), config.callTimeout(), bound);
    return RequestConfig.custom()
        .setConnectionRequestTimeout(millis(t.poolWait()))
        .setConnectTimeout(millis(t.connect()))
        .setResponseTimeout(millis(t.response()))
        .build();
  }

  /** At least 1 ms: HttpClient reads zero as "no timeout". */
  private static Timeout millis(Duration d) {
    return Timeout.ofMilliseconds(Math.max(1, d.toMillis()));
  }
}
