package dev.lifeline.http;

import dev.lifeline.core.CallReport;
import dev.lifeline.core.ExhaustedCall;
import dev.lifeline.core.FailureKind;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * An HTTP call that failed for good: every allowed attempt failed, the failure was not retryable,
 * the deadline passed, or the circuit breaker was open. The {@link #report()} lists every attempt;
 * the message names the service, method, target, attempt count and why the call stopped, and never
 * contains secret header values.
 *
 * <p>Immutable and thread-safe.
 */
public class LifelineHttpException extends RuntimeException implements ExhaustedCall {

  private static final long serialVersionUID = 1L;

  /** Not serialized: reports hold non-serializable lists. */
  private final transient CallReport report;

  private final ErrorType errorType;
  private final FailureKind kind;
  private final int status;

  /**
   * Creates the exception.
   *
   * @param report what happened
   * @param errorType the log/metric classification
   * @param kind the last attempt's failure kind; {@code null} if no attempt was made
   * @param status the last HTTP status, or -1 if none was received
   * @param cause the last transport exception, or {@code null}
   */
  public LifelineHttpException(
      CallReport report, ErrorType errorType, FailureKind kind, int status, Throwable cause) {
    super(report.message(), cause);
    this.report = report;
    this.errorType = Objects.requireNonNull(errorType, "errorType");
    this.kind = kind;
    this.status = status;
  }

  @Override
  public CallReport report() {
    return report;
  }

  /** The {@code error_type} of this failure. */
  public ErrorType errorType() {
    return errorType;
  }

  /** The last attempt's failure kind; {@code null} if the breaker refused the first attempt. */
  public FailureKind kind() {
    return kind;
  }

  /** The last HTTP status received, if any. */
  public OptionalInt status() {
    return status < 0 ? OptionalInt.empty() : OptionalInt.of(status);
  }
}
