package dev.lifeline.active.nats.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RedactorTest {

  private final Redactor redactor = Redactor.of(List.of("s3cr3t", "tok-abc"));

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "nats://u:SECRET@127.0.0.1:4222 | nats://***@127.0.0.1:4222",
        "[nats://u:p@a:1, tls://TOKEN@b:2] | [nats://***@a:1, tls://***@b:2]",
        "nats://127.0.0.1:4222 | nats://127.0.0.1:4222",
        "password s3cr3t rejected | password *** rejected",
        "token=tok-abc; again tok-abc | token=***; again ***",
        "user@example.com wrote | user@example.com wrote",
      })
  void credentialsAreRemovedAndTheRestKept(String in, String out) {
    assertThat(redactor.redact(in)).isEqualTo(out);
  }

  @Test
  void aSanitizedExceptionKeepsTypesAndStackButNotTheSecrets() {
    IOException original =
        new IOException(
            "Unable to connect to NATS servers: [nats://u:SECRET@127.0.0.1:1]",
            new IllegalStateException("auth s3cr3t"));
    RuntimeException clean = redactor.sanitize(original);
    StringWriter out = new StringWriter();
    clean.printStackTrace(new PrintWriter(out));
    assertThat(out.toString())
        .contains(
            "java.io.IOException: Unable to connect to NATS servers: [nats://***@127.0.0.1:1]")
        .contains("java.lang.IllegalStateException: auth ***")
        .contains("RedactorTest")
        .doesNotContain("SECRET")
        .doesNotContain("s3cr3t");
  }
}
