package dev.lifeline.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactTest {

  @Test
  void masksEveryQueryValueAndKeepsTheKeys() {
    String[][] table = {
      {"/x", "/x"},
      {"/x?api_key=SECRET", "/x?api_key=<redacted>"},
      {"/x?a=1&b=&c", "/x?a=<redacted>&b=<redacted>&<redacted>"},
      {"/x?", "/x?"},
      {"/x?token=abc#frag", "/x?token=<redacted>#<redacted>"},
      {"/x#frag", "/x#<redacted>"},
    };
    for (String[] row : table) {
      assertThat(Redact.path(row[0])).as(row[0]).isEqualTo(row[1]);
    }
    assertThat(Redact.path(null)).isNull();
  }

  @Test
  void scrubsTheQueryAndItsLongerValuesFromFreeText() {
    assertThat(
            Redact.scrub(
                "failed GET http://h/x?api_key=SECRET-1&page=2 (SECRET-1 echoed), HTTP 502",
                "/x?api_key=SECRET-1&page=2"))
        .isEqualTo(
            "failed GET http://h/x?api_key=<redacted>&page=<redacted> (<redacted> echoed), HTTP 502");
  }

  @Test
  void describesAnExceptionWithoutSecretHeaderValuesOrQueryValues() {
    Exception e =
        new java.io.IOException("GET /x?api_key=SECRET-1 sent Bearer tok-1234 and key sk-5678");
    assertThat(
            Redact.exception(
                e,
                "/x?api_key=SECRET-1",
                Map.of("authorization", "Bearer tok-1234"),
                Map.of("x-api-token", "sk-5678")))
        .isEqualTo("IOException: GET /x?api_key=<redacted> sent <redacted> and key <redacted>");
    assertThat(Redact.exception(new IllegalStateException(), "/x", Map.of(), Map.of()))
        .as("no message: the class alone")
        .isEqualTo("IllegalStateException");
  }
}
