package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.http.TestHttpServer.Reply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PoolLimitTest {

  private final TestHttpServer server = TestHttpServer.http();
  private final CountDownLatch release = new CountDownLatch(1);
  private final ExecutorService callers = Executors.newFixedThreadPool(31);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private LifelineHttpClient client;

  @AfterEach
  void tearDown() throws Exception {
    release.countDown();
    callers.shutdownNow();
    callers.awaitTermination(10, TimeUnit.SECONDS);
    if (client != null) {
      client.close();
    }
    server.close();
  }

  @Test
  void theThirtyFirstConcurrentRequestToOneHostWaitsForAConnection() throws Exception {
    server.handle(
        ex -> {
          release.await(20, TimeUnit.SECONDS);
          return Reply.of(200, "ok");
        });
    client =
        HttpClientConfig.builder(server.baseUrl())
            .callPolicy(
                CallPolicy.builder()
                    .service("pool")
                    .meterRegistry(meters)
                    .circuitBreakers(CircuitBreakers.disabled())
                    .build())
            .maxConnectionsPerHost(30)
            .responseTimeout(Duration.ofSeconds(30))
            .buildClient();
    List<Future<HttpResponse>> results = new ArrayList<>();
    for (int i = 0; i < 31; i++) {
      results.add(callers.submit(() -> client.execute(HttpRequest.get("/slow"))));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.requests.get() == 30);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> client.poolStats().pending() == 1 && client.poolStats().leased() == 30);
    assertThat(server.requests).as("the 31st is held back by the pool").hasValue(30);
    assertThat(meters.get("lifeline.http.pool.pending").gauge().value()).isEqualTo(1);
    assertThat(meters.get("lifeline.http.pool.leased").gauge().value()).isEqualTo(30);

    release.countDown();
    for (Future<HttpResponse> f : results) {
      assertThat(f.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
    }
    assertThat(server.requests).hasValue(31);
    assertThat(client.poolStats().pending()).isZero();
    assertThat(client.poolStats().available()).isEqualTo(30);
  }
}
