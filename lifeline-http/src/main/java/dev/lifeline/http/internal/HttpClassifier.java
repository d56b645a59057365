package dev.lifeline.http.internal;

import dev.lifeline.core.FailureKind;
import dev.lifeline.core.spi.AttemptOutcome;
import dev.lifeline.http.ErrorType;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.ClientProtocolException;
import org.apache.hc.client5.http.impl.classic.RequestFailedException;
import org.apache.hc.client5.http.utils.DateUtils;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.MalformedChunkCodingException;
import org.jspecify.annotations.Nullable;

/**
 * Maps HTTP answers and transport failures onto {@link FailureKind} and {@link ErrorType}, judging
 * "not sent" only from client-local evidence: how far the exchange got ({@link Phase}). The
 * classification table in {@code docs/http.md} is this class. Stateless and thread-safe.
 */
public final class HttpClassifier {

  /** The longest pushback a Retry-After can ask for: it still fits a {@code long} of nanos. */
  static final Duration MAX_RETRY_AFTER = Duration.ofNanos(Long.MAX_VALUE);

  /** asctime dates carry no zone; RFC 9110 5.6.7 says they are UTC. */
  private static final DateTimeFormatter ASCTIME_UTC =
      DateUtils.FORMATTER_ASCTIME.withZone(ZoneOffset.UTC);

  private HttpClassifier() {}

  /** How far an exchange got: the evidence for whether its request may have left this process. */
  public enum Phase {
    /** Preparing the request or waiting for a pooled connection: nothing left this process. */
    NOT_CONNECTED,
    /** Opening a new connection (DNS, TCP, TLS handshake): the request has not been written. */
    CONNECTING,
    /** Writing the request or waiting for or reading the answer: the server may have it. */
    MAY_HAVE_BEEN_SENT
  }

  /**
   * How a failed attempt is classified.
   *
   * @param kind what the engine decides on
   * @param errorType what logs and metrics show
   * @param notSent whether the request provably never left this process
   * @param local whether the failure happened on this side before anything was sent, so it says
   *     nothing about the server and the breaker ignores it
   */
  public record Classified(FailureKind kind, ErrorType errorType, boolean notSent, boolean local) {

    /** The outcome reported to the engine, with {@code status} as the attempt's text. */
    public AttemptOutcome outcome(String status) {
      AttemptOutcome o = AttemptOutcome.failure(kind, status);
      return local ? o.local() : notSent ? o.notSent() : o;
    }
  }

  /**
   * Classifies an error status (>= 400).
   *
   * @param reusedConnection whether the request went over a connection that had served an earlier
   *     request
   */
  public static Classified status(int status, boolean reusedConnection) {
    if (status == 408 && reusedConnection) {
      // A server closing an idle keep-alive connection answers 408 to whatever arrives next: by
      // that status it says it did not process the request, so even a POST may be sent again.
      return new Classified(FailureKind.UNAVAILABLE, ErrorType.TIMEOUT, true, false);
    }
    if (status == 502 || status == 503) {
      return new Classified(FailureKind.UNAVAILABLE, ErrorType.HTTP_ERROR, false, false);
    }
    if (status == 504 || status == 408) {
      // 408 on a fresh connection is the server giving up on a slow request: a timeout.
      return new Classified(FailureKind.TIMEOUT, ErrorType.TIMEOUT, false, false);
    }
    if (status == 429) {
      return new Classified(FailureKind.OVERLOADED, ErrorType.HTTP_ERROR, false, false);
    }
    if (status >= 500) {
      return new Classified(FailureKind.SERVER_ERROR, ErrorType.HTTP_ERROR, false, false);
    }
    return new Classified(FailureKind.CALLER_ERROR, ErrorType.CLIENT_ERROR, false, false);
  }

  /**
   * Classifies a failed exchange.
   *
   * @param e what HttpClient (or the body stream) threw
   * @param phase how far the exchange got
   * @param deadlineReached whether the deadline timer cancelled the exchange, whatever {@code e}
   *     then says
   */
  public static Classified exception(Throwable e, Phase phase, boolean deadlineReached) {
    if (e instanceof ResponseTooLargeException) {
      // The server answered; repeating the call would fetch the same body again.
      return new Classified(FailureKind.CALLER_ERROR, ErrorType.RESPONSE_TOO_LARGE, false, false);
    }
    boolean timeout = deadlineReached || isTimeout(e);
    switch (phase) {
      case NOT_CONNECTED -> {
        if (timeout) {
          // Waiting for a pooled connection, or the deadline passed before one was free.
          return new Classified(FailureKind.TIMEOUT, ErrorType.TIMEOUT, true, true);
        }
        if (isProtocolError(e)) {
          // HttpClient refused the request before sending it (e.g. its framing): the caller's.
          return new Classified(FailureKind.CALLER_ERROR, ErrorType.CLIENT_ERROR, true, true);
        }
        return new Classified(FailureKind.UNAVAILABLE, ErrorType.UNEXPECTED_ERROR, true, true);
      }
      case CONNECTING -> {
        if (timeout) {
          return new Classified(FailureKind.TIMEOUT, ErrorType.TIMEOUT, true, false);
        }
        if (e instanceof SSLException) {
          // The handshake failed (certificate, protocol): retrying cannot fix it, but the server
          // or its certificate is wrong, so it counts against the breaker.
          return new Classified(FailureKind.SERVER_ERROR, ErrorType.HTTP_ERROR, true, false);
        }
        // Refused, unknown host, no route, reset during the handshake.
        return new Classified(FailureKind.UNAVAILABLE, ErrorType.HTTP_ERROR, true, false);
      }
      default -> {
        if (timeout) {
          return new Classified(FailureKind.TIMEOUT, ErrorType.TIMEOUT, false, false);
        }
        if (e instanceof SSLException || isProtocolError(e)) {
          // A corrupt record or bytes that are not HTTP: the server (or a middlebox) is broken.
          return new Classified(FailureKind.SERVER_ERROR, ErrorType.HTTP_ERROR, false, false);
        }
        // Reset, no response, truncated body: the server went away, perhaps mid-request.
        return new Classified(FailureKind.UNAVAILABLE, ErrorType.HTTP_ERROR, false, false);
      }
    }
  }

  private static boolean isTimeout(Throwable e) {
    // Connect, read and pool-wait timeouts (ConnectTimeoutException, SocketTimeoutException,
    // ConnectionRequestTimeoutException) are all InterruptedIOExceptions.
    // A RequestFailedException is HttpClient's "aborted": only the deadline timer aborts here,
    // and that is told by deadlineReached, not by the exception.
    return (e instanceof InterruptedIOException && !(e instanceof RequestFailedException))
        || e instanceof DnsTimeoutException;
  }

  private static boolean isProtocolError(Throwable e) {
    return e instanceof HttpException
        || e instanceof ClientProtocolException
        || e instanceof MalformedChunkCodingException
        || e.getCause() instanceof HttpException;
  }

  /** The bucket for a status code: {@code 2xx} ... {@code 5xx}. */
  public static String statusClass(int status) {
    return status < 100 || status > 599 ? "none" : (status / 100) + "xx";
  }

  /**
   * Parses a {@code Retry-After} value (RFC 9110 10.2.3): delta-seconds, or an HTTP-date in any of
   * the three formats of RFC 9110 5.6.7 (IMF-fixdate, RFC 850, asctime), parsed with HttpClient's
   * {@link DateUtils}. It never throws: a huge value saturates at {@link #MAX_RETRY_AFTER}, a date
   * in the past means now.
   *
   * @return the delay, or {@code null} if absent or malformed
   */
  public static @Nullable Duration retryAfter(@Nullable String value, Clock clock) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    if (v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      // More than 18 digits cannot be a long; anything that large is "not for ages" anyway.
      if (v.length() > 18) {
        return MAX_RETRY_AFTER;
      }
      long seconds = Long.parseLong(v);
      return seconds >= MAX_RETRY_AFTER.toSeconds() ? MAX_RETRY_AFTER : Duration.ofSeconds(seconds);
    }
    // asctime pads a one-digit day with a second space ("Nov  6"), which DateUtils' pattern lacks.
    // HttpClient returns null for a value none of the formats parses.
    @Nullable Instant at =
        DateUtils.parseDate(
            v.replaceAll(" {2,}", " "),
            DateUtils.FORMATTER_RFC1123,
            DateUtils.FORMATTER_RFC1036,
            ASCTIME_UTC);
    if (at == null) {
      return null;
    }
    Duration d = Duration.between(clock.instant(), at);
    if (d.isNegative()) {
      return Duration.ZERO;
    }
    return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
  }
}
