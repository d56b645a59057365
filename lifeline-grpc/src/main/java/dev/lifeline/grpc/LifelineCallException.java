package dev.lifeline.grpc;

import dev.lifeline.core.CallReport;
import dev.lifeline.core.ExhaustedCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The one error of a gRPC call that Lifeline gave up on. It is a {@link StatusRuntimeException}
 * with the last attempt's status code, so existing catch blocks and code checks keep working; its
 * description is {@link CallReport#message()} and {@link #report()} has every attempt.
 *
 * <p>gRPC stubs rebuild the exception they throw from the call's status, so what a stub throws is a
 * plain {@code StatusRuntimeException} whose cause is this exception; {@link #from(Throwable)}
 * finds it. {@code LifelineCalls#call} rethrows it directly.
 *
 * <p>Immutable and thread-safe. Its text never contains secret header values.
 */
public final class LifelineCallException extends StatusRuntimeException implements ExhaustedCall {

  private static final long serialVersionUID = 1L;

  /** The report; not serialised with the exception. */
  private final transient CallReport report;

  /**
   * Creates the exception.
   *
   * @param status the last attempt's status (or UNAVAILABLE if none was made); its description is
   *     replaced by the report's message
   * @param trailers the last attempt's trailers, or {@code null}
   */
  public LifelineCallException(CallReport report, Status status, @Nullable Metadata trailers) {
    super(status.withDescription(Objects.requireNonNull(report, "report").message()), trailers);
    this.report = report;
  }

  @Override
  public CallReport report() {
    return report;
  }

  /** Finds a {@code LifelineCallException} in {@code t} or its causes. */
  public static Optional<LifelineCallException> from(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof LifelineCallException) {
        return Optional.of((LifelineCallException) c);
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return Optional.empty();
  }
}
