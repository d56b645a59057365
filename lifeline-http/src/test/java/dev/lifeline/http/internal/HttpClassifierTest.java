package dev.lifeline.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.FailureKind;
import dev.lifeline.http.ErrorType;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import javax.net.ssl.SSLHandshakeException;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.junit.jupiter.api.Test;

class HttpClassifierTest {

  @Test
  void mapsStatusesAsTheClassificationTableSays() {
    assertThat(HttpClassifier.status(502).kind()).isEqualTo(FailureKind.UNAVAILABLE);
    assertThat(HttpClassifier.status(503).kind()).isEqualTo(FailureKind.UNAVAILABLE);
    assertThat(HttpClassifier.status(504).kind()).isEqualTo(FailureKind.TIMEOUT);
    assertThat(HttpClassifier.status(504).errorType()).isEqualTo(ErrorType.TIMEOUT);
    assertThat(HttpClassifier.status(429).kind()).isEqualTo(FailureKind.OVERLOADED);
    assertThat(HttpClassifier.status(500).kind()).isEqualTo(FailureKind.SERVER_ERROR);
    assertThat(HttpClassifier.status(500).errorType()).isEqualTo(ErrorType.HTTP_ERROR);
    assertThat(HttpClassifier.status(404).kind()).isEqualTo(FailureKind.CALLER_ERROR);
    assertThat(HttpClassifier.status(404).errorType()).isEqualTo(ErrorType.CLIENT_ERROR);
    assertThat(HttpClassifier.status(400).kind().isBreakerFailure()).isFalse();
    assertThat(HttpClassifier.status(503).kind().isBreakerFailure()).isTrue();
  }

  @Test
  void connectionRefusedProvablyWasNotSentButAReadTimeoutMayHaveBeen() {
    HttpClassifier.Classified refused = HttpClassifier.exception(new ConnectException("refused"));
    assertThat(refused.kind()).isEqualTo(FailureKind.UNAVAILABLE);
    assertThat(refused.provablyNotSent()).isTrue();
    HttpClassifier.Classified read = HttpClassifier.exception(new SocketTimeoutException("read"));
    assertThat(read.kind()).isEqualTo(FailureKind.TIMEOUT);
    assertThat(read.provablyNotSent()).isFalse();
    assertThat(HttpClassifier.exception(new ConnectionRequestTimeoutException()).provablyNotSent())
        .isTrue();
    assertThat(HttpClassifier.exception(new IOException("Connection reset")).kind())
        .isEqualTo(FailureKind.UNAVAILABLE);
    assertThat(HttpClassifier.exception(new SSLHandshakeException("bad cert")).kind())
        .isEqualTo(FailureKind.SERVER_ERROR);
  }

  @Test
  void parsesRetryAfterSecondsAndDates() {
    Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    assertThat(HttpClassifier.retryAfter("7", clock)).isEqualTo(Duration.ofSeconds(7));
    assertThat(HttpClassifier.retryAfter("Thu, 01 Jan 2026 00:00:30 GMT", clock))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(HttpClassifier.retryAfter("soon", clock)).isNull();
    assertThat(HttpClassifier.retryAfter(null, clock)).isNull();
  }

  @Test
  void parsesEveryRetryAfterFormatOfRfc9110() {
    Clock clock = Clock.fixed(Instant.parse("2026-12-01T08:49:00Z"), ZoneOffset.UTC);
    assertThat(HttpClassifier.retryAfter("37", clock)).isEqualTo(Duration.ofSeconds(37));
    assertThat(HttpClassifier.retryAfter("Tue, 01 Dec 2026 08:49:37 GMT", clock))
        .isEqualTo(Duration.ofSeconds(37));
    assertThat(HttpClassifier.retryAfter("Tuesday, 01-Dec-26 08:49:37 GMT", clock))
        .isEqualTo(Duration.ofSeconds(37));
    assertThat(HttpClassifier.retryAfter("Tue Dec  1 08:49:37 2026", clock))
        .isEqualTo(Duration.ofSeconds(37));
    assertThat(HttpClassifier.retryAfter("Tue Dec 15 08:49:37 2026", clock))
        .isEqualTo(Duration.ofDays(14).plusSeconds(37));
    assertThat(HttpClassifier.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", clock))
        .as("a date in the past means now")
        .isEqualTo(Duration.ZERO);
  }

  @Test
  void aHugeRetryAfterSaturatesInsteadOfOverflowing() {
    Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    for (String huge :
        new String[] {
          "10000000000", "99999999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"
        }) {
      Duration d = HttpClassifier.retryAfter(huge, clock);
      assertThat(d).as(huge).isNotNull().isPositive();
      assertThat(d.toNanos()).as(huge + " fits in nanoseconds").isPositive();
    }
  }
}
