package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.http.TestHttpServer.Reply;
import dev.lifeline.testing.FakeClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LifelineHttpClientTest {

  private final FakeClock clock = new FakeClock();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
  private final TestHttpServer server = TestHttpServer.http();
  private final CountDownLatch release = new CountDownLatch(1);
  private LifelineHttpClient client;

  @AfterEach
  void tearDown() {
    release.countDown();
    if (client != null) {
      client.close();
    }
    server.close();
  }

  private final CircuitBreakers breakers = breakers();

  private CircuitBreakers breakers() {
    return CircuitBreakers.builder()
        .slidingWindowSize(5)
        .minimumNumberOfCalls(5)
        .failureRateThreshold(50)
        .waitDurationInOpenState(Duration.ofSeconds(10))
        .permittedCallsInHalfOpenState(1)
        .clock(clock.clock())
        .meterRegistry(meters)
        .build();
  }

  private CallPolicy.Builder policy(RetryPolicy retry) {
    return CallPolicy.builder()
        .service("storage")
        .meterRegistry(meters)
        .ticker(clock)
        .circuitBreakers(breakers)
        .retryPolicy(retry);
  }

  private HttpClientConfig.Builder config(String baseUrl) {
    return config(baseUrl, RetryPolicy.builder().maxAttempts(3).build());
  }

  private HttpClientConfig.Builder config(String baseUrl, RetryPolicy retry) {
    return config(baseUrl, policy(retry).build());
  }

  private HttpClientConfig.Builder config(String baseUrl, CallPolicy policy) {
    return HttpClientConfig.builder(baseUrl)
        .callPolicy(policy)
        .sleeper(
            d -> {
              sleeps.add(d);
              clock.forward(d);
            });
  }

  private LifelineHttpClient client(HttpClientConfig.Builder b) {
    client = b.buildClient();
    return client;
  }

  private CircuitBreaker.State breakerState() {
    String target =
        "127.0.0.1:" + server.baseUrl().substring(server.baseUrl().lastIndexOf(':') + 1);
    return breakers.breaker("storage", target, "GET").getState();
  }

  @Test
  void returnsTheBodyAndReusesOnePooledConnection() {
    server.replies(Reply.of(200, "hello"));
    client(config(server.baseUrl()));
    for (int i = 0; i < 3; i++) {
      assertThat(client.execute(HttpRequest.get("/x")).bodyText()).isEqualTo("hello");
    }
    assertThat(server.clientPorts).hasSize(3);
    assertThat(server.clientPorts.stream().distinct().count()).isEqualTo(1);
    assertThat(client.poolStats().available()).isEqualTo(1);
    assertThat(client.poolStats().leased()).isZero();
  }

  @Test
  void notFoundIsACallerErrorThatNeitherRetriesNorOpensTheBreaker() {
    server.replies(Reply.of(404));
    client(config(server.baseUrl()));
    for (int i = 0; i < 10; i++) {
      LifelineHttpException e =
          catchThrowableOfType(
              LifelineHttpException.class, () -> client.execute(HttpRequest.get("/missing")));
      assertThat(e.errorType()).isEqualTo(ErrorType.CLIENT_ERROR);
      assertThat(e.kind()).contains(FailureKind.CALLER_ERROR);
      assertThat(e.status()).hasValue(404);
      assertThat(e.report().stopReason()).isEqualTo(StopReason.NON_RETRYABLE);
    }
    assertThat(server.requests).hasValue(10);
    assertThat(breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void acceptedNotFoundIsReturnedAsAResponse() {
    server.replies(Reply.of(404));
    client(config(server.baseUrl()));
    HttpResponse r =
        client.execute(HttpRequest.builder("GET", "/missing").acceptStatus(404).build());
    assertThat(r.status()).isEqualTo(404);
  }

  @Test
  void serviceUnavailableIsRetriedAndThenSucceeds() {
    server.replies(Reply.of(503), Reply.of(200, "ok"));
    client(config(server.baseUrl()));
    assertThat(client.execute(HttpRequest.get("/x")).bodyText()).isEqualTo("ok");
    assertThat(server.requests).hasValue(2);
    assertThat(sleeps).hasSize(1);
  }

  @Test
  void serviceUnavailableCountsAsAFailureAndOpensTheBreaker() {
    server.replies(Reply.of(503));
    client(config(server.baseUrl(), RetryPolicy.noRetry()));
    for (int i = 0; i < 5; i++) {
      LifelineHttpException e =
          catchThrowableOfType(
              LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
      assertThat(e.errorType()).isEqualTo(ErrorType.HTTP_ERROR);
      assertThat(e.kind()).contains(FailureKind.UNAVAILABLE);
    }
    assertThat(breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void anOpenBreakerSendsNothingUntilHalfOpen() {
    server.replies(Reply.of(503));
    client(config(server.baseUrl(), RetryPolicy.noRetry()));
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> client.execute(HttpRequest.get("/x")))
          .isInstanceOf(LifelineHttpException.class);
    }
    assertThat(server.requests).hasValue(5);
    for (int i = 0; i < 20; i++) {
      LifelineHttpException e =
          catchThrowableOfType(
              LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
      assertThat(e.errorType()).isEqualTo(ErrorType.CIRCUIT_BREAKER_OPEN);
      assertThat(e.report().stopReason()).isEqualTo(StopReason.BREAKER_OPEN);
      assertThat(e.kind()).as("no attempt of this call failed").isEmpty();
    }
    clock.forward(Duration.ofSeconds(9));
    assertThatThrownBy(() -> client.execute(HttpRequest.get("/x")))
        .isInstanceOf(LifelineHttpException.class);
    assertThat(server.requests).as("nothing sent while open").hasValue(5);

    // Resilience4j half-opens once the wait has strictly passed.
    clock.forward(Duration.ofMillis(1001));
    server.replies(Reply.of(200, "back"));
    assertThat(client.execute(HttpRequest.get("/x")).bodyText()).isEqualTo("back");
    assertThat(server.requests).hasValue(6);
    assertThat(breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(
            meters
                .get("lifeline.http.requests")
                .tag("outcome", "rejected")
                .tag("error_type", "circuit_breaker_open")
                .counter()
                .count())
        .isEqualTo(21);
  }

  @Test
  void honoursRetryAfterWithinTheDeadline() {
    server.replies(Reply.of(503).header("Retry-After", "2"), Reply.of(200, "ok"));
    client(config(server.baseUrl()));
    assertThat(client.execute(HttpRequest.get("/x")).bodyText()).isEqualTo("ok");
    assertThat(sleeps).containsExactly(Duration.ofSeconds(2));
  }

  @Test
  void retryAfterBeyondTheDeadlineStopsWithoutWaiting() {
    server.replies(Reply.of(429).header("Retry-After", "120"), Reply.of(200, "ok"));
    client(
        config(server.baseUrl(), RetryPolicy.builder().retryOn(FailureKind.OVERLOADED).build())
            .callTimeout(Duration.ofSeconds(30)));
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
    assertThat(e.report().stopReason()).isEqualTo(StopReason.DEADLINE);
    assertThat(e.kind()).contains(FailureKind.OVERLOADED);
    assertThat(sleeps).isEmpty();
    assertThat(server.requests).hasValue(1);
  }

  @Test
  void postIsNotRetriedOnceItMayHaveBeenSent() {
    server.replies(Reply.of(503), Reply.of(200, "ok"));
    client(config(server.baseUrl()));
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class,
            () ->
                client.execute(
                    HttpRequest.builder("POST", "/orders").body("{}", "application/json").build()));
    assertThat(e.report().stopReason()).isEqualTo(StopReason.NOT_IDEMPOTENT);
    assertThat(server.requests).hasValue(1);
  }

  @Test
  void postIsRetriedWhenTheConnectionWasRefused() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    client(config("http://127.0.0.1:" + deadPort));
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class,
            () ->
                client.execute(
                    HttpRequest.builder("POST", "/orders").body("{}", "application/json").build()));
    assertThat(e.report().attempts()).hasSize(3);
    assertThat(e.report().stopReason()).isEqualTo(StopReason.ATTEMPTS_EXHAUSTED);
    assertThat(e.kind()).contains(FailureKind.UNAVAILABLE);
    assertThat(e.errorType()).isEqualTo(ErrorType.HTTP_ERROR);
    assertThat(e.getMessage()).contains("storage").contains("POST").contains("3 attempts");
  }

  @Test
  void aSlowServerGivesATimeout() {
    server.handle(
        ex -> {
          release.await(10, TimeUnit.SECONDS);
          return Reply.of(200, "late");
        });
    client(config(server.baseUrl(), RetryPolicy.noRetry()).responseTimeout(Duration.ofMillis(200)));
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/slow")));
    assertThat(e.errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(e.kind()).contains(FailureKind.TIMEOUT);
  }

  @Test
  void gatewayTimeoutAndTooManyRequestsAreClassified() {
    server.replies(Reply.of(504), Reply.of(429), Reply.of(500));
    client(config(server.baseUrl(), RetryPolicy.noRetry()));
    LifelineHttpException gateway =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/a")));
    LifelineHttpException busy =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/a")));
    LifelineHttpException broken =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/a")));
    assertThat(gateway.errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(busy.kind()).contains(FailureKind.OVERLOADED);
    assertThat(broken.kind()).contains(FailureKind.SERVER_ERROR);
    assertThat(broken.errorType()).isEqualTo(ErrorType.HTTP_ERROR);
  }

  @Test
  void aServerAnsweringGarbageGivesATypedError() {
    try (RawServer garbage =
        new RawServer(
            s -> {
              RawServer.readHead(s.getInputStream());
              OutputStream out = s.getOutputStream();
              out.write("this is not http at all\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
              out.flush();
            })) {
      client(config(garbage.baseUrl("http"), RetryPolicy.noRetry()));
      LifelineHttpException e =
          catchThrowableOfType(
              LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
      assertThat(e.errorType()).isEqualTo(ErrorType.HTTP_ERROR);
      assertThat(e.kind()).isPresent();
      assertThat(e.report().attempts()).hasSize(1);
    }
  }

  @Test
  void aMeterRegistryFailingOnASuccessEndsTheCallWithATypedErrorNotANullPointer() {
    server.replies(Reply.of(200, "hello"));
    IllegalStateException refused = new IllegalStateException("the registry refuses this meter");
    SimpleMeterRegistry failing = new SimpleMeterRegistry();
    failing
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public MeterFilterReply accept(Meter.Id id) {
                if (id.getName().equals("lifeline.http.requests")
                    && "success".equals(id.getTag("outcome"))) {
                  throw refused;
                }
                return MeterFilterReply.NEUTRAL;
              }
            });
    client(config(server.baseUrl(), policy(RetryPolicy.noRetry()).meterRegistry(failing).build()));
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
    assertThat(e.errorType()).isEqualTo(ErrorType.UNEXPECTED_ERROR);
    assertThat(e.getCause()).isSameAs(refused);
    assertThat(e.report().stopReason()).isEqualTo(StopReason.NON_RETRYABLE);
  }

  @Test
  void secretHeadersAreSentButNeverAppearInErrors() {
    server.replies(Reply.of(500));
    client(
        config(
            server.baseUrl(),
            policy(RetryPolicy.noRetry()).header("authorization", "Bearer s3cr3t-value").build()));
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class,
            () ->
                client.execute(
                    HttpRequest.builder("GET", "/x").header("X-Api-Key", "k3y-value").build()));
    assertThat(server.headers.peek().get("Authorization")).containsExactly("Bearer s3cr3t-value");
    assertThat(e.toString()).doesNotContain("s3cr3t").doesNotContain("k3y-value");
    assertThat(e.report().toString()).doesNotContain("s3cr3t");
  }

  @Test
  void recordsRequestsLatencyAndPoolGauges() {
    server.replies(Reply.of(200, "ok"), Reply.of(404));
    client(config(server.baseUrl()));
    client.execute(HttpRequest.get("/x"));
    assertThatThrownBy(() -> client.execute(HttpRequest.get("/y")))
        .isInstanceOf(LifelineHttpException.class);
    assertThat(
            meters
                .get("lifeline.http.requests")
                .tags("client", "storage", "method", "GET", "status_class", "2xx")
                .tag("outcome", "success")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            meters
                .get("lifeline.http.requests")
                .tags("status_class", "4xx", "error_type", "client_error")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(meters.get("lifeline.http.request.duration").timers()).isNotEmpty();
    assertThat(meters.get("lifeline.http.pool.max").gauge().value()).isEqualTo(100);
    assertThat(meters.get("lifeline.http.pool.leased").gauge().value()).isZero();
    assertThat(meters.get("lifeline.http.pool.available").gauge().value()).isEqualTo(1);
    assertThat(meters.get("lifeline.http.pool.pending").gauge().value()).isZero();
    assertThat(meters.get("lifeline.breaker.state").gauge().value()).isZero();
    client.close();
    assertThat(meters.find("lifeline.http.pool.max").gauge()).isNull();
  }

  @Test
  void idleConnectionsAreEvictedAndTheNextRequestOpensANewOne() {
    server.replies(Reply.of(200, "ok"));
    client(config(server.baseUrl()).idleEviction(Duration.ofMillis(200)));
    client.execute(HttpRequest.get("/x"));
    assertThat(client.poolStats().available()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> client.poolStats().available() == 0);
    client.execute(HttpRequest.get("/x"));
    assertThat(server.clientPorts.stream().distinct().count()).isEqualTo(2);
  }

  @Test
  void failedCallsAreLoggedWithErrorTypeAndRedactedSecrets() {
    server.replies(Reply.of(500));
    client(
        config(
            server.baseUrl(),
            policy(RetryPolicy.noRetry()).header("authorization", "Bearer s3cr3t-value").build()));
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertThatThrownBy(() -> client.execute(HttpRequest.get("/x")))
          .isInstanceOf(LifelineHttpException.class);
    } finally {
      System.setErr(original);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    assertThat(logs)
        .contains("error_type=http_error")
        .contains("authorization=<redacted>")
        .doesNotContain("s3cr3t");
  }

  @Test
  void anInterruptedBackoffStopsTheCallAndKeepsTheInterruptFlag() {
    server.replies(Reply.of(503));
    client =
        config(server.baseUrl())
            .sleeper(
                d -> {
                  throw new InterruptedException("shutting down");
                })
            .buildClient();
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
    assertThat(Thread.interrupted()).isTrue();
    assertThat(e.errorType()).isEqualTo(ErrorType.UNEXPECTED_ERROR);
    assertThat(e.report().stopReason()).isEqualTo(StopReason.CANCELLED);
    assertThat(server.requests).hasValue(1);
  }

  @Test
  void aClosedClientRefusesCalls() {
    client(config(server.baseUrl()));
    client.close();
    client.close();
    assertThatThrownBy(() -> client.execute(HttpRequest.get("/x")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'storage' is closed");
    assertThat(server.requests).hasValue(0);
  }

  @Test
  void twoClientsWithOneNameKeepTheirOwnGaugesAndClosingOneLeavesTheOther() {
    server.replies(Reply.of(200, "ok"));
    LifelineHttpClient first =
        client(config(server.baseUrl()).maxConnections(7).maxConnectionsPerHost(7));
    LifelineHttpClient second =
        config(server.baseUrl()).maxConnections(9).maxConnectionsPerHost(9).buildClient();
    try {
      assertThat(meters.get("lifeline.http.pool.max").gauges())
          .extracting(g -> g.value())
          .containsExactlyInAnyOrder(7.0, 9.0);
      first.close();
      assertThat(meters.get("lifeline.http.pool.max").gauges())
          .extracting(g -> g.value())
          .containsExactly(9.0);
    } finally {
      second.close();
    }
    assertThat(meters.find("lifeline.http.pool.max").gauges()).isEmpty();
  }

  @Test
  void aRoutesOwnPolicyFromTheCallPolicyGovernsItsRequests() {
    server.replies(Reply.of(503), Reply.of(503), Reply.of(200, "stored"));
    client(
        config(
            server.baseUrl(),
            policy(RetryPolicy.noRetry())
                .retryPolicy("PUT /w/{id}", RetryPolicy.builder().maxAttempts(3).build())
                .build()));
    HttpResponse r =
        client.execute(
            HttpRequest.builder("PUT", "/w/7")
                .route("PUT /w/{id}")
                .body("{}", "application/json")
                .build());
    assertThat(r.bodyText()).isEqualTo("stored");
    assertThat(server.requests).hasValue(3);
    server.replies(Reply.of(503));
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class,
            () ->
                client.execute(
                    HttpRequest.builder("PUT", "/w/7").body("{}", "application/json").build()));
    assertThat(e.report().attempts()).as("no route: the client-wide policy").hasSize(1);
    assertThat(e.report().method()).isEqualTo("PUT");
  }
}
