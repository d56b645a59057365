package dev.lifeline.core.internal;

import dev.lifeline.core.Attempt;
import dev.lifeline.core.CallReport;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The call engine's two log events: one DEBUG line per attempt and one structured WARN per failed
 * logical call. They are written to the logger the engine passes (its own), so that logging
 * configuration names one logger for both.
 *
 * <p>Stateless and thread-safe.
 */
public final class CallLog {

  private CallLog() {}

  /**
   * The WARN of a failed call: the report's fields, the redacted {@code headers}, then {@code
   * errorType} and {@code fields}, with {@code error} attached so that its stack trace is printed.
   */
  public static void failed(
      Logger log,
      CallReport report,
      Map<String, String> redactedHeaders,
      @Nullable String errorType,
      @Nullable Throwable error,
      Map<String, ?> fields) {
    LoggingEventBuilder event =
        log.atWarn()
            .addKeyValue("service", report.service())
            .addKeyValue("target", report.target())
            .addKeyValue("method", report.method())
            .addKeyValue("attempts", report.attempts().size())
            .addKeyValue("elapsed_ms", report.elapsed().toMillis())
            .addKeyValue("stop_reason", report.stopReason())
            .addKeyValue("last_status", report.lastStatus())
            .addKeyValue("headers", redactedHeaders);
    if (errorType != null) {
      event = event.addKeyValue("error_type", errorType);
    }
    for (Map.Entry<String, ?> f : fields.entrySet()) {
      event = event.addKeyValue(f.getKey(), f.getValue());
    }
    if (error != null) {
      event = event.setCause(error);
    }
    event.log(report.message());
  }

  /** The DEBUG line of one finished attempt. */
  public static void attempt(Logger log, String service, String target, String method, Attempt a) {
    log.atDebug()
        .addKeyValue("service", service)
        .addKeyValue("target", target)
        .addKeyValue("method", method)
        .addKeyValue("attempt", a.number())
        .addKeyValue("status", a.status())
        .addKeyValue("delay_before_ms", a.delayBefore().toMillis())
        .addKeyValue("duration_ms", a.duration().toMillis())
        .log("attempt finished");
  }
}
