package dev.lifeline.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.FailureKind;
import dev.lifeline.http.ErrorType;
import dev.lifeline.http.internal.HttpClassifier.Phase;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.apache.hc.client5.http.ClientProtocolException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.impl.classic.RequestFailedException;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.ProtocolException;
import org.junit.jupiter.api.Test;

class HttpClassifierTest {

  @Test
  void mapsStatusesAsTheClassificationTableSays() {
    Object[][] table = {
      // status, reused connection, kind, error type, provably not sent
      {502, false, FailureKind.UNAVAILABLE, ErrorType.HTTP_ERROR, false},
      {503, true, FailureKind.UNAVAILABLE, ErrorType.HTTP_ERROR, false},
      {504, false, FailureKind.TIMEOUT, ErrorType.TIMEOUT, false},
      {408, false, FailureKind.TIMEOUT, ErrorType.TIMEOUT, false},
      {408, true, FailureKind.UNAVAILABLE, ErrorType.TIMEOUT, true},
      {429, false, FailureKind.OVERLOADED, ErrorType.HTTP_ERROR, false},
      {500, false, FailureKind.SERVER_ERROR, ErrorType.HTTP_ERROR, false},
      {404, true, FailureKind.CALLER_ERROR, ErrorType.CLIENT_ERROR, false},
      {400, false, FailureKind.CALLER_ERROR, ErrorType.CLIENT_ERROR, false},
    };
    for (Object[] row : table) {
      HttpClassifier.Classified c = HttpClassifier.status((int) row[0], (boolean) row[1]);
      String as = row[0] + (((boolean) row[1]) ? " on a reused connection" : "");
      assertThat(c.kind()).as(as).isEqualTo(row[2]);
      assertThat(c.errorType()).as(as).isEqualTo(row[3]);
      assertThat(c.notSent()).as(as).isEqualTo(row[4]);
      assertThat(c.local()).as(as).isFalse();
    }
  }

  @Test
  void judgesNotSentOnlyByHowFarTheExchangeGot() {
    Phase none = Phase.NOT_CONNECTED;
    Phase connecting = Phase.CONNECTING;
    Phase sent = Phase.MAY_HAVE_BEEN_SENT;
    Object[][] table = {
      // exception, phase, deadline timer fired, kind, error type, not sent, local
      {new ConnectionRequestTimeoutException(), none, false, TIMEOUT, ET_TIMEOUT, true, true},
      {new RequestFailedException("Request aborted"), none, true, TIMEOUT, ET_TIMEOUT, true, true},
      {
        new ClientProtocolException(new ProtocolException("Content-Length header already present")),
        none,
        false,
        FailureKind.CALLER_ERROR,
        ErrorType.CLIENT_ERROR,
        true,
        true
      },
      {new ConnectTimeoutException("connect"), connecting, false, TIMEOUT, ET_TIMEOUT, true, false},
      {new SocketException("Socket closed"), connecting, true, TIMEOUT, ET_TIMEOUT, true, false},
      {new DnsTimeoutException("h", 5), connecting, false, TIMEOUT, ET_TIMEOUT, true, false},
      {new ConnectException("refused"), connecting, false, UNAVAILABLE, HTTP, true, false},
      {new UnknownHostException("h"), connecting, false, UNAVAILABLE, HTTP, true, false},
      {new SSLHandshakeException("bad cert"), connecting, false, SERVER_ERROR, HTTP, true, false},
      {
        new SSLException("Unrecognized SSL message"),
        connecting,
        false,
        SERVER_ERROR,
        HTTP,
        true,
        false
      },
      {
        new SocketTimeoutException("handshake"), connecting, false, TIMEOUT, ET_TIMEOUT, true, false
      },
      {new SocketTimeoutException("read"), sent, false, TIMEOUT, ET_TIMEOUT, false, false},
      {new SocketException("Socket closed"), sent, true, TIMEOUT, ET_TIMEOUT, false, false},
      {new SSLException("Tag mismatch"), sent, false, SERVER_ERROR, HTTP, false, false},
      {new SSLHandshakeException("renegotiation"), sent, false, SERVER_ERROR, HTTP, false, false},
      {new NoHttpResponseException("no response"), sent, false, UNAVAILABLE, HTTP, false, false},
      {new IOException("Connection reset"), sent, false, UNAVAILABLE, HTTP, false, false},
      {
        new ClientProtocolException(new ProtocolException("garbage")),
        sent,
        false,
        SERVER_ERROR,
        HTTP,
        false,
        false
      },
      {
        ResponseTooLargeException.read(10),
        sent,
        false,
        FailureKind.CALLER_ERROR,
        ErrorType.RESPONSE_TOO_LARGE,
        false,
        false
      },
    };
    for (Object[] row : table) {
      HttpClassifier.Classified c =
          HttpClassifier.exception((Throwable) row[0], (Phase) row[1], (boolean) row[2]);
      String as = row[0] + " while " + row[1] + (((boolean) row[2]) ? " at the deadline" : "");
      assertThat(c.kind()).as(as).isEqualTo(row[3]);
      assertThat(c.errorType()).as(as).isEqualTo(row[4]);
      assertThat(c.notSent()).as(as + ": not sent").isEqualTo(row[5]);
      assertThat(c.local()).as(as + ": local").isEqualTo(row[6]);
    }
  }

  private static final FailureKind TIMEOUT = FailureKind.TIMEOUT;
  private static final FailureKind UNAVAILABLE = FailureKind.UNAVAILABLE;
  private static final FailureKind SERVER_ERROR = FailureKind.SERVER_ERROR;
  private static final ErrorType ET_TIMEOUT = ErrorType.TIMEOUT;
  private static final ErrorType HTTP = ErrorType.HTTP_ERROR;

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
