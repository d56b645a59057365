package dev.lifeline.examples.storage.internal;

import dev.lifeline.examples.storage.RunStatus;
import dev.lifeline.examples.storage.Watermark;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The watermark API's JSON shapes. Timestamps are written as ISO-8601 UTC ({@code
 * 2026-01-01T00:00:00Z}) and read with any offset, normalized to UTC. Stateless and thread-safe.
 */
public final class WatermarkJson {

  private WatermarkJson() {}

  /** The PUT body: {@code {timestamp, status, error_message?}}. */
  public static String update(Instant timestamp, RunStatus status, String errorMessage) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("timestamp", timestamp.toString());
    m.put("status", status.wire());
    if (errorMessage != null) {
      m.put("error_message", errorMessage);
    }
    return Json.write(m);
  }

  /** The GET body. */
  public static String watermark(Watermark w) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("source_id", w.sourceId());
    m.put("last_run_timestamp", w.lastRunTimestamp().toString());
    m.put(
        "last_successful_timestamp",
        w.lastSuccessfulTimestamp() == null ? null : w.lastSuccessfulTimestamp().toString());
    m.put("status", w.status().wire());
    m.put("error_message", w.errorMessage());
    return Json.write(m);
  }

  /**
   * Reads a GET body.
   *
   * @throws IllegalArgumentException (including {@link Json.MalformedJsonException}) if malformed
   *     or a required field is missing or invalid
   */
  public static Watermark parseWatermark(String json) {
    Map<String, Object> m = Json.parseObject(json);
    return new Watermark(
        requiredString(m, "source_id"),
        instant(requiredString(m, "last_run_timestamp"), "last_run_timestamp"),
        optionalInstant(m, "last_successful_timestamp"),
        RunStatus.fromWire(requiredString(m, "status")),
        optionalString(m, "error_message"));
  }

  /** An update as the server reads it. */
  public record Update(Instant timestamp, RunStatus status, String errorMessage) {}

  /**
   * Reads a PUT body.
   *
   * @throws IllegalArgumentException if malformed or a required field is missing or invalid
   */
  public static Update parseUpdate(String json) {
    Map<String, Object> m = Json.parseObject(json);
    return new Update(
        instant(requiredString(m, "timestamp"), "timestamp"),
        RunStatus.fromWire(requiredString(m, "status")),
        optionalString(m, "error_message"));
  }

  private static String requiredString(Map<String, Object> m, String field) {
    Object v = m.get(field);
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(
          field + ": " + (v == null ? "missing" : v) + " (expected: a string)");
    }
    return s;
  }

  private static String optionalString(Map<String, Object> m, String field) {
    Object v = m.get(field);
    if (v != null && !(v instanceof String)) {
      throw new IllegalArgumentException(field + ": " + v + " (expected: a string or null)");
    }
    return (String) v;
  }

  private static Instant optionalInstant(Map<String, Object> m, String field) {
    String s = optionalString(m, field);
    return s == null ? null : instant(s, field);
  }

  private static Instant instant(String s, String field) {
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          field + ": '" + s + "' (expected: ISO-8601 with offset, e.g. 2026-01-01T00:00:00Z)", e);
    }
  }
}
