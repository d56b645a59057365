package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HttpClientConfigTest {

  @Test
  void defaultsMatchTheOriginalPoolLimitsAndVerifyTls() {
    HttpClientConfig c = HttpClientConfig.builder("http://storage:8080/").build();
    assertThat(c.maxConnections()).isEqualTo(100);
    assertThat(c.maxConnectionsPerHost()).isEqualTo(30);
    assertThat(c.tlsVerification()).isTrue();
    assertThat(c.healthPath()).isEqualTo("/health");
    assertThat(c.dnsCacheTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.baseUrl().toString()).isEqualTo("http://storage:8080");
    assertThat(c.name()).isEqualTo("storage");
    assertThat(c.isProduction()).isFalse();
  }

  @Test
  void rejectsMalformedBaseUrlsNamingTheField() {
    for (String bad :
        new String[] {
          "", "not a url", "ftp://host", "http://", "storage:8080", "http://host?x=1"
        }) {
      assertThatThrownBy(() -> HttpClientConfig.builder(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("baseUrl: ");
    }
  }

  @Test
  void rejectsNegativeAndZeroLimitsNamingTheField() {
    HttpClientConfig.Builder b = HttpClientConfig.builder("http://h");
    assertThatThrownBy(() -> b.maxConnections(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConnections: -1 (expected: >= 1)");
    assertThatThrownBy(() -> b.maxConnectionsPerHost(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConnectionsPerHost: 0 (expected: >= 1)");
  }

  @Test
  void rejectsAPerHostLimitAboveTheTotal() {
    assertThatThrownBy(
            () ->
                HttpClientConfig.builder("http://h")
                    .maxConnections(20)
                    .maxConnectionsPerHost(30)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConnectionsPerHost: 30 (expected: <= maxConnections 20)");
  }

  @Test
  void rejectsZeroAndNegativeTimeoutsNamingTheField() {
    HttpClientConfig.Builder b = HttpClientConfig.builder("http://h");
    assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connectTimeout: PT0S (expected: > 0)");
    assertThatThrownBy(() -> b.responseTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("responseTimeout: ");
    assertThatThrownBy(() -> b.callTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("callTimeout: ");
    assertThatThrownBy(() -> b.dnsCacheTtl(Duration.ofSeconds(-5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("dnsCacheTtl: ");
    assertThatThrownBy(() -> b.healthPath("health"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("healthPath: ");
  }

  @Test
  void refusesInsecureTlsInProductionUnlessForced() {
    assertThatThrownBy(
            () ->
                HttpClientConfig.builder("https://h")
                    .name("storage")
                    .environment("production")
                    .disableTlsVerification()
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'storage'")
        .hasMessageContaining("forceInsecureTlsInProductionIUnderstandTheRisk");
    HttpClientConfig forced =
        HttpClientConfig.builder("https://h")
            .environment("production")
            .disableTlsVerification()
            .forceInsecureTlsInProductionIUnderstandTheRisk()
            .build();
    assertThat(forced.tlsVerification()).isFalse();
    assertThat(
            HttpClientConfig.builder("https://h")
                .environment("development")
                .disableTlsVerification()
                .build()
                .tlsVerification())
        .isFalse();
  }

  @Test
  void requestsRejectUnknownMethodsAndRelativePaths() {
    assertThatThrownBy(() -> HttpRequest.builder("FETCH", "/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("method: 'FETCH'");
    assertThatThrownBy(() -> HttpRequest.get("x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("path: 'x'");
    assertThatThrownBy(() -> HttpRequest.get("/a b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("path: '/a b'");
    assertThatThrownBy(() -> HttpRequest.builder("GET", "/x").acceptStatus(500))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("acceptStatus: 500 (expected: >= 400 and <= 499)");
    assertThat(HttpRequest.get("/x").idempotent()).isTrue();
    assertThat(HttpRequest.builder("POST", "/x").build().idempotent()).isFalse();
  }
}
