package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ResponseSizeTest {

  private RawServer server;
  private LifelineHttpClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aHugeContentLengthIsATypedErrorUnderASmallHeapAndTheBreakerGetsItsPermitBack()
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=off",
                SmallHeapProbe.class.getName())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out).contains("max_heap=").contains("huge=response_too_large").contains("next=ok");
  }

  @Test
  void anEndlessChunkedBodyIsATypedErrorNotATruncatedBody() {
    server =
        new RawServer(
            s -> {
              RawServer.readHead(s.getInputStream());
              OutputStream out = s.getOutputStream();
              out.write(
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      .getBytes(StandardCharsets.US_ASCII));
              byte[] chunk = new byte[64 * 1024];
              byte[] size =
                  (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
              // "Endless" up to 48 MiB, so that a client without a limit returns instead of
              // exhausting the test JVM's heap.
              for (int i = 0; i < 48 * 16; i++) {
                out.write(size);
                out.write(chunk);
                out.write('\r');
                out.write('\n');
              }
              out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
              out.flush();
            });
    client =
        HttpClientConfig.builder(server.baseUrl("http"))
            .callPolicy(
                CallPolicy.builder()
                    .service("endless")
                    .meterRegistry(new SimpleMeterRegistry())
                    .circuitBreakers(CircuitBreakers.disabled())
                    .retryPolicy(RetryPolicy.noRetry())
                    .build())
            .maxResponseBytes(1 << 20)
            .callTimeout(Duration.ofSeconds(20))
            .buildClient();
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/endless")));
    assertThat(e).as("a typed error, not a 48 MiB body").isNotNull();
    assertThat(e.errorType().value()).isEqualTo("response_too_large");
  }
}
