package dev.lifeline.grpc;

import dev.lifeline.core.FailureKind;
import dev.lifeline.core.internal.Check;
import io.grpc.Metadata;
import io.grpc.Status;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Maps gRPC statuses onto Lifeline's {@link FailureKind}s.
 *
 * <table>
 *   <caption>gRPC code to failure kind</caption>
 *   <tr><th>code</th><th>kind</th></tr>
 *   <tr><td>UNAVAILABLE, description starting {@code NOT_ACTIVE}</td><td>NOT_ACTIVE</td></tr>
 *   <tr><td>UNAVAILABLE</td><td>UNAVAILABLE</td></tr>
 *   <tr><td>DEADLINE_EXCEEDED</td><td>TIMEOUT</td></tr>
 *   <tr><td>RESOURCE_EXHAUSTED</td><td>OVERLOADED</td></tr>
 *   <tr><td>ABORTED</td><td>ABORTED</td></tr>
 *   <tr><td>INTERNAL, UNKNOWN, DATA_LOSS</td><td>SERVER_ERROR</td></tr>
 *   <tr><td>CANCELLED by the caller</td><td>CANCELLED</td></tr>
 *   <tr><td>CANCELLED by the server (RST_STREAM CANCEL, e.g. while it restarts)</td>
 *       <td>UNAVAILABLE (the request may have run: only idempotent calls are retried)</td></tr>
 *   <tr><td>NOT_FOUND, INVALID_ARGUMENT, ALREADY_EXISTS, PERMISSION_DENIED, UNAUTHENTICATED,
 *       FAILED_PRECONDITION, OUT_OF_RANGE, UNIMPLEMENTED</td><td>CALLER_ERROR</td></tr>
 * </table>
 *
 * <p>Stateless and thread-safe.
 */
public final class GrpcFailures {

  /** The trailer a server sets to ask for a retry delay in milliseconds (gRFC A6). */
  public static final Metadata.Key<String> RETRY_PUSHBACK_MS =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  /** The description prefix of a status that means "not the active member of the group". */
  public static final String NOT_ACTIVE_PREFIX = "NOT_ACTIVE";

  private GrpcFailures() {}

  /**
   * The failure kind of a non-OK status.
   *
   * @throws IllegalArgumentException if {@code status} is OK
   */
  public static FailureKind classify(Status status) {
    return switch (status.getCode()) {
      case UNAVAILABLE -> isNotActive(status) ? FailureKind.NOT_ACTIVE : FailureKind.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> FailureKind.TIMEOUT;
      case RESOURCE_EXHAUSTED -> FailureKind.OVERLOADED;
      case ABORTED -> FailureKind.ABORTED;
      case INTERNAL, UNKNOWN, DATA_LOSS -> FailureKind.SERVER_ERROR;
      case CANCELLED -> FailureKind.CANCELLED;
      case OK -> throw Check.invalid("status", "OK", "a failure");
      default -> FailureKind.CALLER_ERROR;
    };
  }

  /**
   * The failure kind of an attempt's status, knowing whether the caller cancelled the call. A
   * CANCELLED status the caller did not ask for comes from the server resetting the stream (as a
   * restarting server does with calls in flight), so it is classified as UNAVAILABLE; the request
   * may have run, so only idempotent calls are retried after it.
   */
  public static FailureKind classify(Status status, boolean cancelledByCaller) {
    if (status.getCode() == Status.Code.CANCELLED && !cancelledByCaller) {
      return FailureKind.UNAVAILABLE;
    }
    return classify(status);
  }

  /** Whether the status says the call reached a standby rather than the active member. */
  public static boolean isNotActive(Status status) {
    String d = status.getDescription();
    return status.getCode() == Status.Code.UNAVAILABLE
        && d != null
        && d.startsWith(NOT_ACTIVE_PREFIX);
  }

  /**
   * Whether the status alone proves that the server's application never ran the request: a
   * NOT_ACTIVE answer (a standby rejects before any handler runs), or a connection this client's
   * transport saw refused (a {@link ConnectException} in the cause chain). Text the server controls
   * is never trusted: a handler can put "connection refused" in any description after it ran.
   */
  public static boolean neverProcessed(Status status, @Nullable Metadata trailers) {
    if (NotActive.isNotActive(status, trailers)) {
      return true;
    }
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    for (Throwable t = status.getCause(); t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * The server's pushback from trailers: the delay it asks for, a negative duration if it asks not
   * to retry (negative or malformed value, as gRFC A6 says), or empty if absent.
   */
  public static Optional<Duration> pushback(@Nullable Metadata trailers) {
    if (trailers == null) {
      return Optional.empty();
    }
    @Nullable String v = trailers.get(RETRY_PUSHBACK_MS);
    if (v == null) {
      return Optional.empty();
    }
    try {
      // grpc itself reads the value as an int; a larger one is read as "as long as it takes", and
      // the engine then stops if the call's deadline (or an hour) cannot cover it.
      long ms = Long.parseLong(v.trim());
      return Optional.of(Duration.ofMillis(ms < 0 ? -1 : ms));
    } catch (NumberFormatException e) {
      return Optional.of(Duration.ofMillis(-1));
    }
  }

  /** A short text for the status, e.g. {@code UNAVAILABLE (connection refused)}. */
  public static String describe(Status status) {
    String d = status.getDescription();
    if (d == null || d.isBlank()) {
      Throwable c = status.getCause();
      d = c == null ? null : c.getClass().getSimpleName() + ": " + c.getMessage();
    }
    if (d == null) {
      return status.getCode().name();
    }
    if (d.length() > 200) {
      d = d.substring(0, 200) + "...";
    }
    return status.getCode().name() + " (" + d + ")";
  }
}
