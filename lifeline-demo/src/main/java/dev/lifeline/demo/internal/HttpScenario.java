package dev.lifeline.demo.internal;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.http.HttpClientConfig;
import dev.lifeline.http.HttpRequest;
import dev.lifeline.http.LifelineHttpClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
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
  private static final long MAX_CALLS = 20_000_000L;

  private HttpScenario() {}

  static BenchReport run(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("http");
    Load.Result pooled;
    Load.Result life;
    Load.Result fresh;
    try (StorageBackend backend = new StorageBackend()) {
      String uri = backend.baseUri() + "/objects/a";
      try (CloseableHttpClient raw = pooledClient();
          LifelineHttpClient client =
              LifelineHttpClient.create(
                  HttpClientConfig.builder(backend.baseUri())
                      .callPolicy(
                          CallPolicy.builder()
                              .service("storage")
                              .meterRegistry(new SimpleMeterRegistry())
                              .build())
                      .build())) {
        HttpRequest req = HttpRequest.get("/objects/a");
        Load.Call rawCall = () -> get(raw, uri);
        Load.Call lifeCall = () -> client.execute(req);
        // The anti-pattern: a new client, so a new TCP connection, for every request.
        Load.Call freshCall =
            () -> {
              try (CloseableHttpClient c = pooledClient()) {
                get(c, uri);
              }
            };
        for (Load.Call c : new Load.Call[] {rawCall, lifeCall, freshCall}) {
          Load.warmup(THREADS, t.warmup(), MAX_CALLS, c);
        }
        List<Load.Result> rs =
            Load.interleaved(
                THREADS,
                t.measure(),
                GrpcScenarios.ROUNDS,
                MAX_CALLS,
                List.of(rawCall, lifeCall, freshCall));
        pooled = rs.get(0);
        life = rs.get(1);
        fresh = rs.get(2);
      }
      GrpcScenarios.row(report, "raw httpclient5, pooled", pooled);
      GrpcScenarios.row(report, "lifeline http client (retry, breaker, metrics)", life);
      GrpcScenarios.row(report, "raw httpclient5, new connection per request", fresh);
      report.ratio(
          "throughput_vs_raw", BenchReport.ratioOf(life.throughput(), pooled.throughput()));
      report.note(
          THREADS
              + " closed-loop callers per setup; every setup warmed, then measured in "
              + GrpcScenarios.ROUNDS
              + " interleaved slices");
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
