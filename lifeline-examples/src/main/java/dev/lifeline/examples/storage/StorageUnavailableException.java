package dev.lifeline.examples.storage;

import dev.lifeline.core.CallReport;
import dev.lifeline.core.ExhaustedCall;
import dev.lifeline.http.ErrorType;
import dev.lifeline.http.LifelineHttpException;
import java.util.Objects;

/**
 * Storage could not be reached or failed: connection errors, timeouts, 5xx, or an open circuit
 * breaker. Distinct from "no watermark" by design. Immutable and thread-safe.
 */
public class StorageUnavailableException extends StorageException implements ExhaustedCall {

  private static final long serialVersionUID = 1L;

  /** Wraps the failed HTTP call. */
  public StorageUnavailableException(String message, LifelineHttpException cause) {
    super(message + ": " + cause.getMessage(), cause);
  }

  @Override
  public CallReport report() {
    return http().report();
  }

  /** How the call failed, e.g. {@link ErrorType#CIRCUIT_BREAKER_OPEN}. */
  public ErrorType errorType() {
    return http().errorType();
  }

  /** The failed call: the cause, set once by the only constructor. */
  private LifelineHttpException http() {
    return (LifelineHttpException) Objects.requireNonNull(getCause());
  }
}
