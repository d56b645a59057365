package dev.lifeline.http;

import dev.lifeline.core.CallReport;
import dev.lifeline.core.ExhaustedCall;
import dev.lifeline.core.FailureKind;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP call that failed for good: every allowed attempt failed, the failure was not retryable,
 * the deadline passed, the response was too large, or the circuit breaker was open. The {@link
 * #report()} lists every attempt; the message names the client, the route (the HTTP method unless
 * the request named one), the attempt count, why the call stopped, the target and the request path
 * with its query values redacted. It never contains a secret header value or query value.
 *
 * <p>Immutable and thread-safe.
 */
public class LifelineHttpException extends RuntimeException implements ExhaustedCall {

  private static final long serialVersionUID = 1L;

  /** Not serialized: reports hold non-serializable lists. */
  private final transient CallReport report;

  private final ErrorType errorType;
  private final @Nullable FailureKind kind;
  private final int status;
  private final String path;

  /**
   * Creates the exception.
   *
   * @param report what happened
   * @param errorType the log/metric classification
   * @param kind the last attempt's failure kind; {@code null} if no attempt was made
   * @param status the last HTTP status, or -1 if none was received
   * @param path the request path, its query values already redacted
   * @param cause the last transport exception, or {@code null}
   */
  public LifelineHttpException(
      CallReport report,
      ErrorType errorType,
      @Nullable FailureKind kind,
      int status,
      String path,
      @Nullable Throwable cause) {
    super(report.message() + "; path " + path, cause);
    this.report = report;
    this.errorType = Objects.requireNonNull(errorType, "errorType");
    this.kind = kind;
    this.status = status;
    this.path = Objects.requireNonNull(path, "path");
  }

  @Override
  public CallReport report() {
    return report;
  }

  /** The {@code error_type} of this failure. */
  public ErrorType errorType() {
    return errorType;
  }

  /**
   * The last attempt's failure kind; empty if no attempt failed on its own: the breaker refused the
   * first attempt, or the call ended for a reason of this side's.
   */
  public Optional<FailureKind> kind() {
    return Optional.ofNullable(kind);
  }

  /** The last HTTP status received, if any. */
  public OptionalInt status() {
    return status < 0 ? OptionalInt.empty() : OptionalInt.of(status);
  }

  /** The request path with its query values redacted, e.g. {@code /x?api_key=<redacted>}. */
  public String path() {
    return path;
  }
}
