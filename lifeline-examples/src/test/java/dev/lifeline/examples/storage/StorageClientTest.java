package dev.lifeline.examples.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.http.Environment;
import dev.lifeline.http.ErrorType;
import dev.lifeline.http.HealthCheckFailedException;
import dev.lifeline.http.HttpClientConfig;
import dev.lifeline.testing.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StorageClientTest {

  private final FakeClock clock = new FakeClock();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private StorageServer server;
  private HttpServer garbage;
  private StorageClient client;

  @BeforeEach
  void startServer() throws Exception {
    server = StorageServer.start(0);
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    server.close();
    if (garbage != null) {
      garbage.stop(0);
    }
  }

  private HttpClientConfig.Builder config(String baseUrl, String environment) {
    return HttpClientConfig.builder(baseUrl)
        .callPolicy(
            CallPolicy.builder()
                .service("storage")
                .meterRegistry(meters)
                .ticker(clock)
                .retryPolicy(RetryPolicy.builder().maxAttempts(2).build())
                .circuitBreakers(
                    CircuitBreakers.builder()
                        .slidingWindowSize(4)
                        .minimumNumberOfCalls(4)
                        .waitDurationInOpenState(Duration.ofSeconds(30))
                        .clock(clock.clock())
                        .meterRegistry(meters)
                        .build())
                .build())
        .environment(Environment.of(environment))
        .sleeper(clock::forward);
  }

  private StorageClient client(String environment) {
    client = StorageClient.create(config(server.baseUrl(), environment).build());
    return client;
  }

  @Test
  void aSourceWithoutWatermarkIsEmpty() {
    assertThat(client("development").getWatermark("src-1")).isEmpty();
  }

  @Test
  void anUpdateIsReadBackInUtc() {
    client("development");
    Instant run = Instant.parse("2026-03-01T10:15:30Z");
    client.updateWatermark("src-1", run, RunStatus.SUCCESS, null);
    Watermark w = client.getWatermark("src-1").orElseThrow();
    assertThat(w.lastRunTimestamp()).isEqualTo(run);
    assertThat(w.lastSuccessful()).contains(run);
    assertThat(w.status()).isEqualTo(RunStatus.SUCCESS);
    assertThat(w.errorMessage()).isNull();
    assertThat(server.lastUpdateBody())
        .isEqualTo("{\"timestamp\":\"2026-03-01T10:15:30Z\",\"status\":\"success\"}");
  }

  @Test
  void anOffsetDateTimeIsNormalizedToUtcOnTheWire() {
    client("development");
    OffsetDateTime paris = OffsetDateTime.of(2026, 3, 1, 12, 15, 30, 0, ZoneOffset.ofHours(2));
    client.updateWatermark("src-2", paris, RunStatus.FAILED, "quota \"exceeded\"");
    assertThat(server.lastUpdateBody())
        .isEqualTo(
            "{\"timestamp\":\"2026-03-01T10:15:30Z\",\"status\":\"failed\","
                + "\"error_message\":\"quota \\\"exceeded\\\"\"}");
    Watermark w = client.getWatermark("src-2").orElseThrow();
    assertThat(w.lastSuccessful()).isEmpty();
    assertThat(w.errorMessage()).isEqualTo("quota \"exceeded\"");
  }

  // Regression (LADON get_watermark): the original returned None both for "no watermark" and for
  // "storage is down", which silently triggered a full re-collection.
  @Test
  void storageDownIsADistinctExceptionNeverAnEmptyWatermark() {
    client("development");
    server.outage(true);
    StorageUnavailableException e =
        catchThrowableOfType(StorageUnavailableException.class, () -> client.getWatermark("src-1"));
    assertThat(e.errorType()).isEqualTo(ErrorType.HTTP_ERROR);
    assertThat(e.report().attempts()).hasSize(2);
    assertThat(e.getMessage()).contains("storage unavailable for GET /api/v1/watermarks/src-1");
  }

  // Regression (LADON): any RuntimeError was read as "circuit open", and the integration test
  // never checked that an open breaker sent nothing.
  @Test
  void anOpenBreakerIsReportedAsSuchAndSendsNothing() {
    client("development");
    server.outage(true);
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> client.getWatermark("src-1"))
          .isInstanceOf(StorageUnavailableException.class);
    }
    int sent = server.apiRequests();
    assertThat(sent).isEqualTo(4);
    StorageUnavailableException e =
        catchThrowableOfType(
            StorageUnavailableException.class,
            () -> client.updateWatermark("src-1", Instant.EPOCH, RunStatus.SUCCESS, null));
    assertThat(e.errorType()).isEqualTo(ErrorType.CIRCUIT_BREAKER_OPEN);
    assertThat(server.apiRequests()).isEqualTo(sent);
  }

  // Regression (LADON): a first run's 404 must not count against the breaker.
  @Test
  void missingWatermarksDoNotOpenTheBreaker() {
    client("development");
    for (int i = 0; i < 10; i++) {
      assertThat(client.getWatermark("new-" + i)).isEmpty();
    }
    assertThat(server.apiRequests()).isEqualTo(10);
    assertThat(meters.get("lifeline.breaker.state").gauge().value()).isZero();
  }

  @Test
  void healthCheckRaisesInProductionAndReturnsFalseElsewhere() {
    server.outage(true);
    assertThat(client("development").healthCheck()).isFalse();
    client.close();
    client = null;
    client("production");
    assertThatThrownBy(client::healthCheck)
        .isInstanceOf(HealthCheckFailedException.class)
        .hasMessageContaining("'storage'");
    server.outage(false);
    assertThat(client.healthCheck()).isTrue();
  }

  @Test
  void rejectsInvalidSourceIds() {
    client("development");
    assertThatThrownBy(() -> client.getWatermark("../etc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("sourceId: '../etc'");
  }

  private String garbageServer(String contentType, String body) throws Exception {
    return fakeStorage(200, contentType, body);
  }

  private String fakeStorage(int status, String contentType, String body) throws Exception {
    garbage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
    garbage.createContext(
        "/",
        ex -> {
          try (ex) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
          }
        });
    garbage.start();
    return "http://127.0.0.1:" + garbage.getAddress().getPort();
  }

  @Test
  void aWrongContentTypeIsATypedErrorNotANull() throws Exception {
    client =
        StorageClient.create(
            config(garbageServer("text/html", "<html>oops</html>"), "development").build());
    assertThatThrownBy(() -> client.getWatermark("src-1"))
        .isInstanceOf(StorageProtocolException.class)
        .hasMessageContaining("content type 'text/html'");
  }

  @Test
  void truncatedJsonIsATypedErrorNotANull() throws Exception {
    client =
        StorageClient.create(
            config(
                    garbageServer(
                        "application/json; charset=utf-8",
                        "{\"source_id\":\"src-1\",\"last_run_timestamp\":\"2026-"),
                    "development")
                .build());
    assertThatThrownBy(() -> client.getWatermark("src-1"))
        .isInstanceOf(StorageProtocolException.class)
        .hasMessageContaining("malformed JSON");
  }

  @Test
  void missingFieldsAndAnotherSourcesWatermarkAreTypedErrors() throws Exception {
    client =
        StorageClient.create(
            config(
                    garbageServer(
                        "application/json",
                        "{\"source_id\":\"other\",\"last_run_timestamp\":\"2026-01-01T00:00:00Z\","
                            + "\"status\":\"success\"}"),
                    "development")
                .build());
    assertThatThrownBy(() -> client.getWatermark("src-1"))
        .isInstanceOf(StorageProtocolException.class)
        .hasMessageContaining("'other'");
  }

  // Regression (review "Storage example"): a routing 404 (wrong base path, an ingress route
  // missing during a deploy) was read as "no watermark" and restarted the collection from scratch.
  @Test
  void anHtml404FromAWrongRouteIsATypedErrorNotAMissingWatermark() throws Exception {
    client =
        StorageClient.create(
            config(
                    fakeStorage(404, "text/html", "<html><body>404 Not Found</body></html>"),
                    "development")
                .build());
    assertThatThrownBy(() -> client.getWatermark("src-1"))
        .isInstanceOf(StorageMisroutedException.class)
        .hasMessageContaining("404")
        .hasMessageContaining("/api/v1/watermarks/src-1");
  }

  @Test
  void aWrongBasePathOnTheRealServerIsATypedErrorNotAMissingWatermark() {
    client = StorageClient.create(config(server.baseUrl() + "/v2", "development").build());
    assertThatThrownBy(() -> client.getWatermark("src-1"))
        .isInstanceOf(StorageMisroutedException.class);
  }

  @Test
  void unknownFieldsTheServerAddsAreIgnored() throws Exception {
    client =
        StorageClient.create(
            config(
                    garbageServer(
                        "application/json",
                        "{\"source_id\":\"src-1\",\"last_run_timestamp\":\"2026-01-01T00:00:00Z\","
                            + "\"status\":\"success\",\"labels\":{\"team\":\"secops\"},"
                            + "\"history\":[1,2,3]}"),
                    "development")
                .build());
    Watermark w = client.getWatermark("src-1").orElseThrow();
    assertThat(w.lastRunTimestamp()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
    assertThat(w.status()).isEqualTo(RunStatus.SUCCESS);
  }

  @Test
  void aMissingRequiredFieldIsATypedErrorNamingIt() throws Exception {
    client =
        StorageClient.create(
            config(
                    garbageServer(
                        "application/json", "{\"source_id\":\"src-1\",\"status\":\"success\"}"),
                    "development")
                .build());
    assertThatThrownBy(() -> client.getWatermark("src-1"))
        .isInstanceOf(StorageProtocolException.class)
        .hasMessageContaining("last_run_timestamp");
  }

  @Test
  void aTimestampWithoutOffsetIsReadAsUtcWithAWarning() throws Exception {
    client =
        StorageClient.create(
            config(
                    garbageServer(
                        "application/json",
                        "{\"source_id\":\"src-1\",\"last_run_timestamp\":\"2026-03-01T10:15:30\","
                            + "\"status\":\"success\"}"),
                    "development")
                .build());
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
    Watermark w;
    try {
      w = client.getWatermark("src-1").orElseThrow();
    } finally {
      System.setErr(original);
    }
    assertThat(w.lastRunTimestamp()).isEqualTo(Instant.parse("2026-03-01T10:15:30Z"));
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .contains("WARN")
        .contains("last_run_timestamp")
        .contains("2026-03-01T10:15:30");
  }
}
