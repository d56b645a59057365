package dev.lifeline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.RetryPolicy;
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
    assertThat(c.callPolicy().service()).isEqualTo("storage");
    assertThat(c.environment()).isEqualTo(Environment.DEVELOPMENT);
    assertThat(c.failedHealthCheckThrows()).isFalse();
    assertThat(c.maxResponseBytes()).isEqualTo(16L << 20);
  }

  @Test
  void settingsNotGivenAreEmptyNotNull() throws Exception {
    HttpClientConfig c = HttpClientConfig.builder("http://storage:8080").build();
    assertThat(c.trustStore()).isEmpty();
    assertThat(c.keyStore()).isEmpty();
    assertThat(c.keyPassword()).isEmpty();
    HttpRequest get = HttpRequest.get("/a");
    assertThat(get.timeout()).isEmpty();
    assertThat(get.contentType()).isEmpty();

    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = {'p', 'w'};
    HttpClientConfig mtls =
        HttpClientConfig.builder("https://storage:8443")
            .trustStore(store)
            .clientCertificate(store, password)
            .build();
    assertThat(mtls.trustStore()).containsSame(store);
    assertThat(mtls.keyStore()).containsSame(store);
    assertThat(mtls.keyPassword()).hasValueSatisfying(p -> assertThat(p).containsExactly('p', 'w'));
    assertThat(mtls.keyPassword().orElseThrow()).as("a copy").isNotSameAs(password);
    HttpRequest put =
        HttpRequest.builder("PUT", "/a")
            .body("{}", "application/json")
            .timeout(Duration.ofSeconds(2))
            .build();
    assertThat(put.timeout()).contains(Duration.ofSeconds(2));
    assertThat(put.contentType()).contains("application/json");
  }

  @Test
  void theCallPolicyIsTheOnePlaceForNameRetriesBreakersAndHeaders() {
    CallPolicy policy =
        CallPolicy.builder()
            .service("ladon-storage")
            .retryPolicy(RetryPolicy.noRetry())
            .retryPolicy("PUT /api/v1/watermarks/{id}", RetryPolicy.defaults())
            .header("authorization", "Bearer t0ken")
            .build();
    HttpClientConfig c = HttpClientConfig.builder("http://storage:8080").callPolicy(policy).build();
    assertThat(c.callPolicy()).isSameAs(policy);
    assertThat(c.name()).isEqualTo("ladon-storage");
    assertThat(c.toString()).doesNotContain("t0ken");
  }

  @Test
  void productionMakesAFailedHealthCheckThrowUnlessSaidOtherwise() {
    assertThat(
            HttpClientConfig.builder("http://h")
                .environment(Environment.PRODUCTION)
                .build()
                .failedHealthCheckThrows())
        .isTrue();
    assertThat(
            HttpClientConfig.builder("http://h")
                .environment(Environment.PRODUCTION)
                .failedHealthCheckThrows(false)
                .build()
                .failedHealthCheckThrows())
        .isFalse();
    assertThat(Environment.of(" Production ")).isEqualTo(Environment.PRODUCTION);
    assertThatThrownBy(() -> Environment.of("prod"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "environment: 'prod' (expected: one of development, test, staging, production)");
  }

  @Test
  void rejectsAMaximumResponseSizeOutOfRange() {
    HttpClientConfig.Builder b = HttpClientConfig.builder("http://h");
    assertThatThrownBy(() -> b.maxResponseBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxResponseBytes: -1 (expected: >= 0 and <= 2147483639)");
    assertThatThrownBy(() -> b.maxResponseBytes(1L << 40))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("maxResponseBytes: 1099511627776");
    assertThatThrownBy(() -> HttpRequest.builder("GET", "/x").maxResponseBytes(-2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxResponseBytes: -2 (expected: >= 0)");
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
                    .callPolicy(CallPolicy.builder().service("storage").build())
                    .environment(Environment.PRODUCTION)
                    .disableTlsVerification()
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'storage'")
        .hasMessageContaining("forceInsecureTlsInProductionIUnderstandTheRisk");
    HttpClientConfig forced =
        HttpClientConfig.builder("https://h")
            .environment(Environment.PRODUCTION)
            .disableTlsVerification()
            .forceInsecureTlsInProductionIUnderstandTheRisk()
            .build();
    assertThat(forced.tlsVerification()).isFalse();
    assertThat(
            HttpClientConfig.builder("https://h")
                .environment(Environment.DEVELOPMENT)
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
    assertThat(HttpRequest.builder("POST", "/x").idempotent(true).build().idempotent()).isTrue();
    assertThatThrownBy(() -> HttpRequest.builder("POST", "/x").header("Transfer-Encoding", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("header name: 'transfer-encoding'");
    assertThatThrownBy(() -> HttpRequest.builder("POST", "/x").body("{}", "not a type;;="))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("contentType: 'not a type;;='");
  }

  @Test
  void aRequestNeverShowsItsQueryValues() {
    HttpRequest r = HttpRequest.get("/x?api_key=SECRET&page=2");
    assertThat(r.toString()).isEqualTo("GET /x?api_key=<redacted>&page=<redacted>");
    assertThat(r.route()).isEqualTo("GET");
    assertThat(HttpRequest.builder("GET", "/w/1").route("GET /w/{id}").build().route())
        .isEqualTo("GET /w/{id}");
    assertThatThrownBy(() -> HttpRequest.get("/a b?token=SECRET"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("SECRET");
  }
}
