package dev.lifeline.http.internal;

import dev.lifeline.core.CallReport;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.spi.CallExecution;
import dev.lifeline.core.spi.Redaction;
import dev.lifeline.http.ErrorType;
import dev.lifeline.http.HttpRequest;
import dev.lifeline.http.LifelineHttpException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How {@link DefaultHttpClient} reports a call that failed for good: the {@link
 * LifelineHttpException} it ends with, and the HTTP fields of the one failure WARN the engine logs,
 * which show the path with its query values redacted and never a secret header value.
 *
 * <p>Stateless and thread-safe.
 */
final class FailedCalls {

  private FailedCalls() {}

  /**
   * Builds the exception of a failed call and has the engine log its one WARN with it.
   *
   * @param report the engine's report of the call; {@code CallExecution} types it nullable, being
   *     null only while a call runs or after it succeeded, and neither is the case here
   * @param kind the last attempt's failure kind; {@code null} if no attempt failed on its own
   * @param status the last HTTP status, or -1 if none was received
   * @param cause the last transport exception, or {@code null}
   */
  static LifelineHttpException logged(
      CallExecution call,
      HttpRequest request,
      ErrorType type,
      @Nullable CallReport report,
      @Nullable FailureKind kind,
      int status,
      @Nullable Throwable cause) {
    Objects.requireNonNull(report, "report of a call that stopped without success");
    String path = Redact.requestPath(request.path());
    LifelineHttpException e = new LifelineHttpException(report, type, kind, status, path, cause);
    call.logFailure(type.value(), e, fields(request, status));
    return e;
  }

  /** The HTTP fields of the failure WARN; the engine adds the call's own. */
  static Map<String, Object> fields(HttpRequest request, int status) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("http_method", request.method());
    f.put("path", Redact.requestPath(request.path()));
    f.put("status", status < 0 ? "none" : String.valueOf(status));
    if (!request.headers().isEmpty()) {
      f.put("request_headers", Redaction.redactHeaders(request.headers()));
    }
    return f;
  }
}
