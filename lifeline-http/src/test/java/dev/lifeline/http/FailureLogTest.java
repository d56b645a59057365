package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.http.TestHttpServer.Reply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one structured WARN of a failed call, and the exception's message. */
class FailureLogTest {

  private final TestHttpServer server = TestHttpServer.http();
  private LifelineHttpClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    server.close();
  }

  private LifelineHttpClient client() {
    client =
        HttpClientConfig.builder(server.baseUrl())
            .callPolicy(
                CallPolicy.builder()
                    .service("storage")
                    .header("authorization", "Bearer s3cr3t-value")
                    .meterRegistry(new SimpleMeterRegistry())
                    .circuitBreakers(CircuitBreakers.disabled())
                    .retryPolicy(RetryPolicy.noRetry())
                    .build())
            .buildClient();
    return client;
  }

  /** Runs {@code call} while capturing what slf4j-simple writes to System.err. */
  private static String captureLogs(Runnable call) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      call.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aQueryStringSecretNeverAppearsInLogsOrTheException() {
    server.replies(Reply.of(500));
    client();
    LifelineHttpException[] thrown = new LifelineHttpException[1];
    String logs =
        captureLogs(
            () ->
                thrown[0] =
                    catchThrowableOfType(
                        LifelineHttpException.class,
                        () -> client.execute(HttpRequest.get("/x?api_key=SECRET&page=2"))));
    assertThat(server.paths).containsExactly("/x");
    assertThat(logs).contains("api_key=<redacted>").doesNotContain("SECRET");
    assertThat(thrown[0].getMessage()).doesNotContain("SECRET");
    assertThat(thrown[0].toString()).doesNotContain("SECRET");
  }

  @Test
  void aFailedCallLogsOneWarnWithItsErrorTypeAndTheExceptionsStackTrace() {
    server.replies(Reply.of(503));
    client();
    String logs =
        captureLogs(
            () ->
                catchThrowableOfType(
                    LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x"))));
    assertThat(logs.lines().filter(l -> l.contains("WARN")).count()).isEqualTo(1);
    assertThat(logs)
        .contains("error_type=http_error")
        .contains(LifelineHttpException.class.getName())
        .contains("\tat ")
        .doesNotContain("s3cr3t");
  }

  @Test
  void theExceptionNamesClientMethodPathAttemptsAndReason() {
    server.replies(Reply.of(503));
    client();
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class,
            () -> client.execute(HttpRequest.get("/api/v1/watermarks/src-1?token=abc")));
    assertThat(e.getMessage())
        .contains("storage")
        .contains("GET")
        .contains("/api/v1/watermarks/src-1?token=<redacted>")
        .contains("1 attempt")
        .contains("attempts exhausted");
  }
}
