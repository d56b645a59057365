package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.http.TestHttpServer.Reply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsTest {

  @TempDir static Path dir;
  static KeyStore serverKeys;
  static KeyStore clientKeys;

  private TestHttpServer server;
  private LifelineHttpClient client;

  @BeforeAll
  static void generateCertificates() throws Exception {
    serverKeys = TestCertificates.generate(dir, "server");
    clientKeys = TestCertificates.generate(dir, "client");
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private HttpClientConfig.Builder config() {
    return HttpClientConfig.builder(server.baseUrl())
        .callPolicy(
            CallPolicy.builder()
                .service("secure-storage")
                .meterRegistry(new SimpleMeterRegistry())
                .retryPolicy(RetryPolicy.noRetry())
                .build());
  }

  private void startServer(boolean needClientAuth) throws Exception {
    server =
        TestHttpServer.https(
            TestCertificates.serverContext(serverKeys, TestCertificates.trustStoreOf(clientKeys)),
            needClientAuth);
    server.replies(Reply.of(200, "secret data"));
  }

  @Test
  void trustsAServerWhoseCertificateIsInTheCustomTrustStore() throws Exception {
    startServer(false);
    client = config().trustStore(TestCertificates.trustStoreOf(serverKeys)).buildClient();
    assertThat(client.execute(HttpRequest.get("/x")).bodyText()).isEqualTo("secret data");
  }

  @Test
  void verificationFailsAgainstAnUntrustedCertificate() throws Exception {
    startServer(false);
    // Trusts only the client's certificate, so the server's is unknown.
    client = config().trustStore(TestCertificates.trustStoreOf(clientKeys)).buildClient();
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
    assertThat(e.getCause()).isInstanceOf(SSLException.class);
    assertThat(e.errorType()).isEqualTo(ErrorType.HTTP_ERROR);
    assertThat(server.requests).hasValue(0);
  }

  @Test
  void verificationIsOnByDefaultSoASelfSignedServerIsRejected() throws Exception {
    startServer(false);
    client = config().buildClient();
    LifelineHttpException e =
        catchThrowableOfType(
            LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
    assertThat(e.getCause()).isInstanceOf(SSLException.class);
  }

  @Test
  void anExplicitOptOutConnectsToAnUntrustedServerOutsideProduction() throws Exception {
    startServer(false);
    client = config().environment(Environment.DEVELOPMENT).disableTlsVerification().buildClient();
    assertThat(client.execute(HttpRequest.get("/x")).status()).isEqualTo(200);
  }

  @Test
  void presentsAClientCertificateForMutualTls() throws Exception {
    startServer(true);
    client =
        config()
            .trustStore(TestCertificates.trustStoreOf(serverKeys))
            .clientCertificate(clientKeys, TestCertificates.PASSWORD)
            .buildClient();
    assertThat(client.execute(HttpRequest.get("/x")).bodyText()).isEqualTo("secret data");
  }

  @Test
  void aServerRequiringAClientCertificateRefusesAClientWithout() throws Exception {
    startServer(true);
    client = config().trustStore(TestCertificates.trustStoreOf(serverKeys)).buildClient();
    catchThrowableOfType(LifelineHttpException.class, () -> client.execute(HttpRequest.get("/x")));
    assertThat(server.requests).hasValue(0);
  }
}
