package dev.lifeline.demo.internal;

import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.Timeout;

/** The {@code http} scenario. Stateless; owns and closes its server and clients. */
final class HttpScenario {

  private static final int THREADS = 4;

  private HttpScenario() {}

  static BenchReport run(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("http");
    try (StorageBackend backend = new StorageBackend()) {
      String uri = backend.baseUri() + "/objects/a";
      Load.Result pooled;
      try (CloseableHttpClient raw = pooledClient()) {
        pooled =
            Load.closedLoop(THREADS, t.warmup(), t.measure(), 20_000_000L, () -> get(raw, uri));
      }
      GrpcScenarios.row(report, "raw httpclient5, pooled", pooled);
      // The anti-pattern: a new client, so a new TCP connection, for every request.
      Load.Result fresh =
          Load.closedLoop(
              THREADS,
              t.warmup(),
              t.measure(),
              20_000_000L,
              () -> {
                try (CloseableHttpClient c = pooledClient()) {
                  get(c, uri);
                }
              });
      GrpcScenarios.row(report, "raw httpclient5, new connection per request", fresh);
      report.unavailable("lifeline http client");
      report.ratio("throughput_vs_raw", null);
      report.ratio(
          "pooled_vs_new_connection", BenchReport.ratioOf(pooled.throughput(), fresh.throughput()));
    }
    return report;
  }

  static CloseableHttpClient pooledClient() {
    PoolingHttpClientConnectionManager cm =
        PoolingHttpClientConnectionManagerBuilder.create()
            .setMaxConnTotal(50)
            .setMaxConnPerRoute(20)
            .setDefaultConnectionConfig(
                ConnectionConfig.custom()
                    .setConnectTimeout(Timeout.ofSeconds(2))
                    .setSocketTimeout(Timeout.ofSeconds(5))
                    .build())
            .build();
    return HttpClients.custom()
        .disableAutomaticRetries()
        .setConnectionManager(cm)
        .setDefaultRequestConfig(
            RequestConfig.custom().setResponseTimeout(5, TimeUnit.SECONDS).build())
        .build();
  }

  static int get(CloseableHttpClient client, String uri) throws Exception {
    return client.execute(
        new HttpGet(uri),
        response -> {
          EntityUtils.consume(response.getEntity());
          if (response.getCode() >= 500) {
            throw new java.io.IOException("HTTP " + response.getCode() + " from " + uri);
          }
          return response.getCode();
        });
  }
}
