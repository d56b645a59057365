package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.http.TestHttpServer.Reply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthCheckTest {

  private final TestHttpServer server = TestHttpServer.http();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private LifelineHttpClient client;

  /** Holds a silent server's handler until the test ends (at most 10 s), then lets it go. */
  private final CountDownLatch silence = new CountDownLatch(1);

  @AfterEach
  void tearDown() {
    silence.countDown();
    if (client != null) {
      client.close();
    }
    server.close();
  }

  private CallPolicy policy() {
    return CallPolicy.builder()
        .service("storage")
        .meterRegistry(meters)
        .circuitBreakers(
            CircuitBreakers.builder()
                .slidingWindowSize(2)
                .minimumNumberOfCalls(2)
                .meterRegistry(meters)
                .build())
        .retryPolicy(RetryPolicy.noRetry())
        .build();
  }

  private LifelineHttpClient client(Environment environment, String baseUrl) {
    client =
        HttpClientConfig.builder(baseUrl)
            .callPolicy(policy())
            .environment(environment)
            .buildClient();
    return client;
  }

  private double checks(String result) {
    return meters.get("lifeline.http.health.checks").tag("result", result).counter().count();
  }

  @Test
  void healthMetersExistAtZeroAndMinusOneBeforeTheFirstCheck() {
    client(Environment.DEVELOPMENT, server.baseUrl());
    // Registered when the client is built, so rate() sees the first check and panels show 0.
    assertThat(checks("healthy")).isZero();
    assertThat(checks("unhealthy")).isZero();
    assertThat(meters.get("lifeline.http.health").gauge().value()).isEqualTo(-1);
    assertThat(meters.get("lifeline.http.health").gauge().getId().getDescription()).isNotBlank();
  }

  @Test
  void healthyServerPassesInEveryEnvironment() {
    server.replies(Reply.of(200, "{\"status\":\"healthy\"}"));
    assertThat(client(Environment.PRODUCTION, server.baseUrl()).healthCheck()).isTrue();
    assertThat(server.requestsTo("/health")).isEqualTo(1);
    assertThat(checks("healthy")).isEqualTo(1);
    assertThat(meters.get("lifeline.http.health").gauge().value()).isEqualTo(1);
  }

  @Test
  void unhealthyServerReturnsFalseOutsideProduction() {
    server.replies(Reply.of(503));
    assertThat(client(Environment.DEVELOPMENT, server.baseUrl()).healthCheck()).isFalse();
    assertThat(checks("unhealthy")).isEqualTo(1);
    assertThat(meters.get("lifeline.http.health").gauge().value()).isZero();
  }

  @Test
  void unhealthyServerThrowsAClearExceptionInProduction() {
    server.replies(Reply.of(503));
    client(Environment.PRODUCTION, server.baseUrl());
    assertThatThrownBy(client::healthCheck)
        .isInstanceOf(HealthCheckFailedException.class)
        .hasMessageContaining("'storage'")
        .hasMessageContaining(server.baseUrl() + "/health")
        .hasMessageContaining("status=503");
    assertThat(checks("unhealthy")).isEqualTo(1);
  }

  @Test
  void unreachableServerThrowsInProductionWithTheCause() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    client(Environment.PRODUCTION, "http://127.0.0.1:" + deadPort);
    assertThatThrownBy(client::healthCheck)
        .isInstanceOf(HealthCheckFailedException.class)
        .hasMessageContaining("Connect")
        .hasCauseInstanceOf(java.io.IOException.class);
  }

  @Test
  void healthCheckUsesTheConfiguredPathAndBypassesAnOpenBreaker() {
    server.handle(
        ex -> ex.getRequestURI().getPath().equals("/ready") ? Reply.of(200) : Reply.of(503));
    client =
        HttpClientConfig.builder(server.baseUrl())
            .callPolicy(policy())
            .healthPath("/ready")
            .buildClient();
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> client.execute(HttpRequest.get("/api")))
          .isInstanceOf(LifelineHttpException.class);
    }
    assertThat(server.requestsTo("/api")).as("breaker opened after two").isEqualTo(2);
    assertThat(client.healthCheck()).isTrue();
    assertThat(server.requestsTo("/ready")).isEqualTo(1);
  }

  @Test
  void throwingIsAnExplicitOptionThatOnlyDefaultsFromTheEnvironment() {
    server.replies(Reply.of(503));
    client =
        HttpClientConfig.builder(server.baseUrl())
            .callPolicy(policy())
            .environment(Environment.PRODUCTION)
            .failedHealthCheckThrows(false)
            .buildClient();
    assertThat(client.config().failedHealthCheckThrows()).isFalse();
    assertThat(client.healthCheck()).isFalse();
    client.close();
    client =
        HttpClientConfig.builder(server.baseUrl())
            .callPolicy(policy())
            .failedHealthCheckThrows(true)
            .buildClient();
    assertThat(client.config().environment()).isEqualTo(Environment.DEVELOPMENT);
    assertThatThrownBy(client::healthCheck).isInstanceOf(HealthCheckFailedException.class);
  }

  @Test
  void aHealthCheckAgainstASilentServerEndsAtTheResponseTimeout() {
    server.handle(
        ex -> {
          silence.await(10, TimeUnit.SECONDS);
          return Reply.of(200);
        });
    client =
        HttpClientConfig.builder(server.baseUrl())
            .callPolicy(policy())
            .responseTimeout(java.time.Duration.ofMillis(300))
            .buildClient();
    long start = System.nanoTime();
    assertThat(client.healthCheck()).isFalse();
    assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
        .isLessThan(java.time.Duration.ofMillis(300 + 200));
  }
}
