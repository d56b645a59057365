package dev.lifeline.http.internal;

import dev.lifeline.core.FailureKind;
import dev.lifeline.http.ErrorType;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.ClientProtocolException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.core5.http.ConnectionRequestTimeoutException;
import org.apache.hc.core5.http.MalformedChunkCodingException;
import org.apache.hc.core5.http.ProtocolException;

/**
 * Maps HTTP answers and transport exceptions onto {@link FailureKind} and {@link ErrorType}; see
 * the classification table in {@code docs/http.md}. Stateless and thread-safe.
 */
public final class HttpClassifier {

  private HttpClassifier() {}

  /** How a failed attempt is classified. */
  public record Classified(FailureKind kind, ErrorType errorType, boolean provablyNotSent) {}

  /** Classifies an error status (>= 400). */
  public static Classified status(int status) {
    if (status == 502 || status == 503) {
      return new Classified(FailureKind.UNAVAILABLE, ErrorType.HTTP_ERROR, false);
    }
    if (status == 504 || status == 408) {
      // 408 is the server giving up on a slow request: a timeout, not a malformed request.
      return new Classified(FailureKind.TIMEOUT, ErrorType.TIMEOUT, false);
    }
    if (status == 429) {
      return new Classified(FailureKind.OVERLOADED, ErrorType.HTTP_ERROR, false);
    }
    if (status >= 500) {
      return new Classified(FailureKind.SERVER_ERROR, ErrorType.HTTP_ERROR, false);
    }
    return new Classified(FailureKind.CALLER_ERROR, ErrorType.CLIENT_ERROR, false);
  }

  /** Classifies a transport exception. */
  public static Classified exception(IOException e) {
    if (e instanceof ConnectionRequestTimeoutException) {
      // Waited for a pooled connection: nothing left this process.
      return new Classified(FailureKind.TIMEOUT, ErrorType.TIMEOUT, true);
    }
    if (e instanceof ConnectTimeoutException) {
      return new Classified(FailureKind.TIMEOUT, ErrorType.TIMEOUT, true);
    }
    if (e instanceof SocketTimeoutException) {
      return new Classified(FailureKind.TIMEOUT, ErrorType.TIMEOUT, false);
    }
    if (e instanceof ConnectException
        || e instanceof UnknownHostException
        || e instanceof NoRouteToHostException) {
      // No connection was made, so the request provably was not sent.
      return new Classified(FailureKind.UNAVAILABLE, ErrorType.HTTP_ERROR, true);
    }
    if (e instanceof SSLException) {
      // A handshake failure happens before the request is written; retrying cannot fix a
      // certificate, so the kind is one the default policy does not retry, but it still counts
      // against the breaker.
      return new Classified(FailureKind.SERVER_ERROR, ErrorType.HTTP_ERROR, true);
    }
    if (e instanceof ClientProtocolException
        || e instanceof MalformedChunkCodingException
        || e.getCause() instanceof ProtocolException) {
      // The server answered something that is not HTTP.
      return new Classified(FailureKind.SERVER_ERROR, ErrorType.HTTP_ERROR, false);
    }
    // Reset connections, NoHttpResponseException, truncated bodies: the server went away.
    return new Classified(FailureKind.UNAVAILABLE, ErrorType.HTTP_ERROR, false);
  }

  /** The bucket for a status code: {@code 2xx} ... {@code 5xx}. */
  public static String statusClass(int status) {
    return status < 100 || status > 599 ? "none" : (status / 100) + "xx";
  }

  /**
   * Parses a {@code Retry-After} value (delta-seconds or HTTP-date, RFC 9110 10.2.3).
   *
   * @return the delay, or {@code null} if absent or malformed
   */
  public static Duration retryAfter(String value, Clock clock) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    if (v.chars().allMatch(Character::isDigit)) {
      try {
        return Duration.ofSeconds(Long.parseLong(v));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    try {
      ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
      Duration d = Duration.between(clock.instant(), at.toInstant());
      return d.isNegative() ? Duration.ZERO : d;
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
