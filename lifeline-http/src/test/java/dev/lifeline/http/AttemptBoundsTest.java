package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every attempt ends at its deadline whatever phase it is in, against real hostile peers on
 * loopback and on the real clock: the bound is what is under test.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AttemptBoundsTest {

  /** How late a call may end after its deadline. */
  private static final Duration SLACK = Duration.ofMillis(200);

  private static final Duration DEADLINE = Duration.ofSeconds(1);

  private final List<AutoCloseable> closeables = new ArrayList<>();

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

  private HttpClientConfig.Builder config(String baseUrl) {
    return HttpClientConfig.builder(baseUrl)
        .callPolicy(
            CallPolicy.builder()
                .service("bounded")
                .meterRegistry(new SimpleMeterRegistry())
                .circuitBreakers(CircuitBreakers.disabled())
                .retryPolicy(RetryPolicy.noRetry())
                .build())
        .callTimeout(DEADLINE);
  }

  /** Runs {@code call}, expects a timeout, and returns how long it took. */
  private static Duration timeOut(LifelineHttpClient client, HttpRequest request) {
    long start = System.nanoTime();
    LifelineHttpException e =
        catchThrowableOfType(LifelineHttpException.class, () -> client.execute(request));
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(e).as("the call failed with a typed error").isNotNull();
    assertThat(e.errorType()).isEqualTo(ErrorType.TIMEOUT);
    return took;
  }

  private static void drip(OutputStream out, byte[] bytes) throws Exception {
    for (byte b : bytes) {
      out.write(b);
      out.flush();
      TimeUnit.MILLISECONDS.sleep(200);
    }
  }

  @Test
  void aBodyDrippedOneByteEvery200MsEndsAtTheDeadline() {
    RawServer drip =
        closeLater(
            new RawServer(
                s -> {
                  RawServer.readHead(s.getInputStream());
                  OutputStream out = s.getOutputStream();
                  out.write(
                      "HTTP/1.1 200 OK\r\nContent-Length: 25\r\n\r\n"
                          .getBytes(StandardCharsets.US_ASCII));
                  drip(out, "abcdefghijklmnopqrstuvwxy".getBytes(StandardCharsets.US_ASCII));
                }));
    LifelineHttpClient client = closeLater(config(drip.baseUrl("http")).buildClient());
    assertThat(timeOut(client, HttpRequest.get("/drip"))).isLessThan(DEADLINE.plus(SLACK));
  }

  @Test
  void headersDrippedOneByteEvery200MsEndAtTheDeadline() {
    RawServer drip =
        closeLater(
            new RawServer(
                s -> {
                  RawServer.readHead(s.getInputStream());
                  drip(
                      s.getOutputStream(),
                      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                          .getBytes(StandardCharsets.US_ASCII));
                }));
    LifelineHttpClient client = closeLater(config(drip.baseUrl("http")).buildClient());
    assertThat(timeOut(client, HttpRequest.get("/drip"))).isLessThan(DEADLINE.plus(SLACK));
  }

  @Test
  void aTlsPortThatNeverAnswersEndsAtTheHandshakeTimeout() {
    RawServer silent = closeLater(new RawServer(s -> s.getInputStream().readAllBytes()));
    LifelineHttpClient client =
        closeLater(
            config(silent.baseUrl("https")).connectTimeout(Duration.ofMillis(300)).buildClient());
    assertThat(timeOut(client, HttpRequest.get("/x")))
        .isLessThan(Duration.ofMillis(300).plus(SLACK));
  }

  @Test
  void aTlsPortThatNeverAnswersEndsAtTheCallDeadlineBeforeALongConnectTimeout() {
    RawServer silent = closeLater(new RawServer(s -> s.getInputStream().readAllBytes()));
    LifelineHttpClient client =
        closeLater(
            config(silent.baseUrl("https")).connectTimeout(Duration.ofSeconds(20)).buildClient());
    assertThat(timeOut(client, HttpRequest.get("/x"))).isLessThan(DEADLINE.plus(SLACK));
  }

  @Test
  void theConnectTimeoutIsCappedByTheTimeLeft() throws Exception {
    // A listener whose accept queue is full: the kernel drops further SYNs, so a connect hangs.
    ServerSocket full = closeLater(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
    InetSocketAddress address =
        new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort());
    while (true) {
      Socket filler = closeLater(new Socket());
      try {
        filler.connect(address, 200);
      } catch (SocketTimeoutException queueFull) {
        break;
      }
    }
    LifelineHttpClient client =
        closeLater(
            config("http://127.0.0.1:" + full.getLocalPort())
                .connectTimeout(Duration.ofSeconds(20))
                .buildClient());
    assertThat(timeOut(client, HttpRequest.get("/x"))).isLessThan(DEADLINE.plus(SLACK));
  }

  @Test
  void aServerThatNeverReadsTheRequestBodyEndsAtTheDeadline() {
    RawServer deaf =
        closeLater(
            new RawServer(
                s -> {
                  InputStream in = s.getInputStream();
                  RawServer.readHead(in);
                  TimeUnit.SECONDS.sleep(20);
                }));
    LifelineHttpClient client = closeLater(config(deaf.baseUrl("http")).buildClient());
    // Far more than the socket buffers hold, so the write blocks.
    byte[] body = new byte[8 << 20];
    assertThat(timeOut(client, HttpRequest.put("/upload", body, "application/octet-stream")))
        .isLessThan(DEADLINE.plus(SLACK));
  }
}
