package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.http.TestHttpServer.Reply;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class StreamingTest {

  private static final int BIG = 32 << 20;

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final CircuitBreakers breakers =
      CircuitBreakers.builder().permittedCallsInHalfOpenState(1).meterRegistry(meters).build();
  private RawServer raw;
  private TestHttpServer server;
  private LifelineHttpClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    if (raw != null) {
      raw.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private LifelineHttpClient client(String baseUrl, RetryPolicy retry) {
    client =
        HttpClientConfig.builder(baseUrl)
            .callPolicy(
                CallPolicy.builder()
                    .service("blobs")
                    .meterRegistry(meters)
                    .circuitBreakers(breakers)
                    .retryPolicy(retry)
                    .build())
            .maxResponseBytes(1 << 20)
            .callTimeout(Duration.ofSeconds(30))
            .buildClient();
    return client;
  }

  /** Serves {@code size} bytes with a Content-Length, then closes; counts connections. */
  private RawServer blobServer(int size, boolean cutShort) {
    return new RawServer(
        s -> {
          RawServer.readHead(s.getInputStream());
          OutputStream out = s.getOutputStream();
          out.write(
              ("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\nX-Part: a\r\nX-Part: b\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
          byte[] chunk = new byte[64 * 1024];
          int sent = 0;
          int stop = cutShort ? size / 2 : size;
          while (sent < stop) {
            int n = Math.min(chunk.length, stop - sent);
            out.write(chunk, 0, n);
            sent += n;
          }
          out.flush();
        });
  }

  @Test
  void aBodyLargerThanTheBufferedLimitIsStreamedToTheHandler() {
    raw = blobServer(BIG, false);
    client(raw.baseUrl("http"), RetryPolicy.defaults());
    long read =
        client.executeStreaming(
            HttpRequest.get("/blob"),
            (head, body) -> {
              assertThat(head.status()).isEqualTo(200);
              assertThat(head.headers("x-part")).containsExactly("a", "b");
              long n = 0;
              byte[] buf = new byte[8192];
              for (int r; (r = body.read(buf)) >= 0; ) {
                n += r;
              }
              return n;
            });
    assertThat(read).isEqualTo(BIG);
    LifelineHttpException buffered =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/blob")));
    assertThat(buffered.errorType()).isEqualTo(ErrorType.RESPONSE_TOO_LARGE);
  }

  @Test
  void aStreamingRequestMayStillSetItsOwnLimit() {
    raw = blobServer(BIG, false);
    client(raw.baseUrl("http"), RetryPolicy.defaults());
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class,
            () ->
                client.executeStreaming(
                    HttpRequest.builder("GET", "/blob").maxResponseBytes(BIG - 1).build(),
                    (head, body) -> body.readAllBytes().length));
    assertThat(e.errorType()).isEqualTo(ErrorType.RESPONSE_TOO_LARGE);
  }

  @Test
  void aBodyCutShortAfterTheHandlerReadDataIsNotHandedToItAgain() {
    raw = blobServer(BIG, true);
    client(raw.baseUrl("http"), RetryPolicy.builder().maxAttempts(3).build());
    AtomicInteger calls = new AtomicInteger();
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class,
            () ->
                client.executeStreaming(
                    HttpRequest.get("/blob"),
                    (head, body) -> {
                      calls.incrementAndGet();
                      return body.readAllBytes().length;
                    }));
    assertThat(e.report().stopReason()).isEqualTo(StopReason.STREAM_STARTED);
    assertThat(calls).hasValue(1);
    assertThat(raw.connections).hasValue(1);
  }

  @Test
  void theHandlersOwnFailureEndsTheCallAtOnceAndReturnsTheBreakersPermit() {
    server = TestHttpServer.http();
    server.replies(Reply.of(200, "data"));
    client(server.baseUrl(), RetryPolicy.builder().maxAttempts(3).build());
    CircuitBreaker breaker =
        breakers.breaker(
            "blobs",
            "127.0.0.1:" + server.baseUrl().substring(server.baseUrl().lastIndexOf(':') + 1),
            "GET");
    breaker.transitionToOpenState();
    breaker.transitionToHalfOpenState();
    UncheckedIOException e =
        catchThrowableOfType(
            UncheckedIOException.class,
            () ->
                client.executeStreaming(
                    HttpRequest.get("/x"),
                    (head, body) -> {
                      throw new IOException("disk full");
                    }));
    assertThat(e).hasRootCauseMessage("disk full");
    assertThat(server.requests).hasValue(1);
    assertThat(breaker.tryAcquirePermission()).as("the trial permit came back").isTrue();
  }

  @Test
  void anUnreadRestOfTheBodyIsDiscardedWithItsConnectionNotDrained() {
    raw = blobServer(BIG, false);
    client(raw.baseUrl("http"), RetryPolicy.defaults());
    int first =
        client.executeStreaming(
            HttpRequest.get("/blob"),
            (head, body) -> {
              InputStream in = body;
              return in.read();
            });
    assertThat(first).isZero();
    assertThat(client.poolStats().leased()).isZero();
    assertThat(client.poolStats().available()).as("discarded, not pooled").isZero();
  }

  @Test
  void repeatedHeadersKeepEveryValueInOrder() {
    raw = blobServer(3, false);
    client(raw.baseUrl("http"), RetryPolicy.defaults());
    HttpResponse r = client.execute(HttpRequest.get("/small"));
    assertThat(r.headers("X-PART")).containsExactly("a", "b");
    assertThat(r.header("x-part")).contains("a");
    assertThat(r.headers()).containsEntry("x-part", java.util.List.of("a", "b"));
    assertThat(r.body()).hasSize(3);
  }

  @Test
  void aBufferedBodyCutShortIsRetriedForAnIdempotentRequest() {
    raw = blobServer(4096, true);
    client(raw.baseUrl("http"), RetryPolicy.builder().maxAttempts(3).build());
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/blob")));
    assertThat(e.report().stopReason()).isEqualTo(StopReason.ATTEMPTS_EXHAUSTED);
    assertThat(e.report().attempts()).hasSize(3);
    assertThat(raw.connections).hasValue(3);
  }
}
