package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What each failure is judged to be, from client-local evidence, against real loopback peers. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClassificationTest {

  @TempDir static Path dir;
  static KeyStore serverKeys;

  private final FakeClock clock = new FakeClock();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<Duration> sleeps = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeAll
  static void generateCertificates() throws Exception {
    serverKeys = TestCertificates.generate(dir, "server");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  private CircuitBreakers breakers() {
    return CircuitBreakers.builder()
        .slidingWindowSize(10)
        .minimumNumberOfCalls(10)
        .clock(clock.clock())
        .meterRegistry(meters)
        .build();
  }

  private CallPolicy policy(RetryPolicy retry) {
    return CallPolicy.builder()
        .service("storage")
        .meterRegistry(meters)
        .ticker(clock)
        .circuitBreakers(breakers())
        .retryPolicy(retry)
        .build();
  }

  private HttpClientConfig.Builder config(String baseUrl) {
    return config(baseUrl, RetryPolicy.defaults());
  }

  private HttpClientConfig.Builder config(String baseUrl, RetryPolicy retry) {
    return HttpClientConfig.builder(baseUrl)
        .callPolicy(policy(retry))
        .sleeper(
            d -> {
              sleeps.add(d);
              clock.forward(d);
            });
  }

  private static CircuitBreaker breaker(LifelineHttpClient client, String method) {
    String base = client.config().baseUrl().toString();
    return client
        .config()
        .callPolicy()
        .circuitBreakers()
        .breaker("storage", "127.0.0.1:" + base.substring(base.lastIndexOf(':') + 1), method);
  }

  @Test
  void aPostFailingWithATlsErrorAfterItWasWrittenIsNotSentAgain() throws Exception {
    SSLContext tls = TestCertificates.serverContext(serverKeys, serverKeysTrust());
    AtomicInteger posts = new AtomicInteger();
    RawServer server =
        closeLater(
            new RawServer(
                raw -> {
                  SSLSocket s =
                      (SSLSocket)
                          tls.getSocketFactory().createSocket(raw, null, raw.getPort(), false);
                  s.setUseClientMode(false);
                  s.startHandshake();
                  InputStream in = s.getInputStream();
                  String head = RawServer.readHead(in);
                  int length = contentLength(head);
                  in.readNBytes(length);
                  if (head.startsWith("POST")) {
                    posts.incrementAndGet();
                  }
                  // A TLS application-data record whose MAC cannot verify.
                  OutputStream out = raw.getOutputStream();
                  byte[] record = new byte[5 + 64];
                  record[0] = 0x17;
                  record[1] = 0x03;
                  record[2] = 0x03;
                  record[4] = 64;
                  for (int i = 5; i < record.length; i++) {
                    record[i] = (byte) i;
                  }
                  out.write(record);
                  out.flush();
                  raw.getInputStream().readAllBytes();
                }));
    LifelineHttpClient client =
        closeLater(
            config(
                    server.baseUrl("https"),
                    RetryPolicy.builder()
                        .maxAttempts(3)
                        .retryOn(FailureKind.UNAVAILABLE, FailureKind.SERVER_ERROR)
                        .build())
                .trustStore(TestCertificates.trustStoreOf(serverKeys))
                .buildClient());
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class,
            () ->
                client.execute(
                    HttpRequest.builder("POST", "/orders").body("{}", "application/json").build()));
    assertThat(e).isNotNull();
    assertThat(e.report().stopReason()).isEqualTo(StopReason.NOT_IDEMPOTENT);
    assertThat(posts).hasValue(1);
  }

  private static KeyStore serverKeysTrust() throws Exception {
    return TestCertificates.trustStoreOf(serverKeys);
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    return 0;
  }

  @Test
  void aHugeRetryAfterIsATypedDeadlineErrorNotAnArithmeticException() {
    TestHttpServer server = closeLater(TestHttpServer.http());
    server.replies(Reply.of(503).header("Retry-After", "10000000000"), Reply.of(200, "ok"));
    LifelineHttpClient client = closeLater(config(server.baseUrl()).buildClient());
    Throwable t = catchThrowable(() -> client.execute(HttpRequest.get("/x")));
    assertThat(t).isInstanceOf(LifelineHttpException.class);
    assertThat(((LifelineHttpException) t).report().stopReason()).isEqualTo(StopReason.DEADLINE);
    assertThat(sleeps).isEmpty();
    assertThat(server.requests).hasValue(1);
  }

  private Duration retryAfterHonoured(String value) {
    TestHttpServer server = closeLater(TestHttpServer.http());
    server.replies(Reply.of(503).header("Retry-After", value), Reply.of(200, "ok"));
    LifelineHttpClient client =
        closeLater(config(server.baseUrl()).callTimeout(Duration.ofMinutes(5)).buildClient());
    assertThat(client.execute(HttpRequest.get("/x")).bodyText()).isEqualTo("ok");
    assertThat(sleeps).hasSize(1);
    return sleeps.get(0);
  }

  /** A date 60 s from now on the wall clock, whole seconds, in {@code pattern} (GMT). */
  private static String inAMinute(String pattern) {
    ZonedDateTime at =
        ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(60).truncatedTo(ChronoUnit.SECONDS);
    return DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(at);
  }

  @Test
  void retryAfterInSecondsIsHonoured() {
    assertThat(retryAfterHonoured("7")).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void retryAfterAsAnImfFixdateIsHonoured() {
    assertThat(retryAfterHonoured(inAMinute("EEE, dd MMM yyyy HH:mm:ss 'GMT'")))
        .isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));
  }

  @Test
  void retryAfterAsAnRfc850DateIsHonoured() {
    assertThat(retryAfterHonoured(inAMinute("EEEE, dd-MMM-yy HH:mm:ss 'GMT'")))
        .isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));
  }

  @Test
  void retryAfterAsAnAsctimeDateIsHonoured() {
    String date = inAMinute("EEE MMM d HH:mm:ss yyyy");
    // asctime pads a one-digit day with a space: "Nov  6".
    String padded = date.replaceFirst("^(\\w{3} \\w{3}) (\\d) ", "$1  $2 ");
    assertThat(retryAfterHonoured(padded))
        .isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));
  }

  @Test
  void a408OnAReusedConnectionIsRetriedEvenForAPost() {
    TestHttpServer server = closeLater(TestHttpServer.http());
    server.replies(Reply.of(200, "first"), Reply.of(408), Reply.of(201, "created"));
    LifelineHttpClient client = closeLater(config(server.baseUrl()).buildClient());
    client.execute(HttpRequest.get("/warm-up"));
    HttpResponse r =
        client.execute(
            HttpRequest.builder("POST", "/orders").body("{}", "application/json").build());
    assertThat(r.status()).isEqualTo(201);
    assertThat(server.requests).hasValue(3);
  }

  @Test
  void a408OnAFreshConnectionIsATimeoutThatIsNotRetriedByDefault() {
    TestHttpServer server = closeLater(TestHttpServer.http());
    server.replies(Reply.of(408), Reply.of(200, "ok"));
    LifelineHttpClient client = closeLater(config(server.baseUrl()).buildClient());
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
    assertThat(e.kind()).contains(FailureKind.TIMEOUT);
    assertThat(e.report().stopReason()).isEqualTo(StopReason.NON_RETRYABLE);
    assertThat(server.requests).hasValue(1);
  }

  @Test
  void waitingForAPooledConnectionNeverChargesTheBreaker() throws Exception {
    TestHttpServer server = closeLater(TestHttpServer.http());
    CountDownLatch release = new CountDownLatch(1);
    closeLater(release::countDown);
    server.handle(
        ex -> {
          release.await(20, TimeUnit.SECONDS);
          return Reply.of(200, "ok");
        });
    LifelineHttpClient client =
        closeLater(
            HttpClientConfig.builder(server.baseUrl())
                .callPolicy(
                    CallPolicy.builder()
                        .service("storage")
                        .meterRegistry(meters)
                        .circuitBreakers(breakers())
                        .retryPolicy(RetryPolicy.noRetry())
                        .build())
                .maxConnections(1)
                .maxConnectionsPerHost(1)
                .buildClient());
    ExecutorService holder = Executors.newSingleThreadExecutor();
    closeLater(holder::shutdownNow);
    Future<HttpResponse> holding =
        holder.submit(
            () ->
                client.execute(
                    HttpRequest.builder("GET", "/hold").timeout(Duration.ofSeconds(20)).build()));
    await().atMost(Duration.ofSeconds(10)).until(() -> client.poolStats().leased() == 1);
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class,
            () ->
                client.execute(
                    HttpRequest.builder("GET", "/x").timeout(Duration.ofMillis(200)).build()));
    assertThat(e.errorType()).isEqualTo(ErrorType.TIMEOUT);
    release.countDown();
    assertThat(holding.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
    CircuitBreaker.Metrics m = breaker(client, "GET").getMetrics();
    assertThat(m.getNumberOfFailedCalls()).as("pool wait not charged").isZero();
    assertThat(m.getNumberOfSuccessfulCalls()).isEqualTo(1);
  }

  @Test
  void anAttemptWhoseDeadlineHasAlreadyPassedSendsNothingAndNeverChargesTheBreaker() {
    TestHttpServer server = closeLater(TestHttpServer.http());
    server.replies(Reply.of(503).header("Retry-After", "1"), Reply.of(200, "ok"));
    LifelineHttpClient client =
        closeLater(
            config(server.baseUrl())
                .callTimeout(Duration.ofSeconds(2))
                // The backoff wait oversleeps past the deadline, as after a long GC pause.
                .sleeper(d -> clock.forward(d.plusMillis(999).plusNanos(999_000)))
                .buildClient());
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
    assertThat(e.report().stopReason()).isEqualTo(StopReason.DEADLINE);
    assertThat(server.requests).hasValue(1);
    CircuitBreaker.Metrics m = breaker(client, "GET").getMetrics();
    assertThat(m.getNumberOfFailedCalls()).as("only the 503").isEqualTo(1);
  }

  @Test
  void aCallerSetContentLengthIsRefusedAndNeverChargesTheBreaker() {
    TestHttpServer server = closeLater(TestHttpServer.http());
    LifelineHttpClient client = closeLater(config(server.baseUrl()).buildClient());
    Throwable t =
        catchThrowable(
            () ->
                client.execute(
                    HttpRequest.builder("POST", "/x")
                        .header("Content-Length", "5")
                        .body("{}", "application/json")
                        .build()));
    assertThat(t)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("content-length");
    assertThat(server.requests).hasValue(0);
    assertThat(breaker(client, "POST").getMetrics().getNumberOfFailedCalls()).isZero();
  }
}
