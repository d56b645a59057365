package dev.lifeline.examples.storage.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.lifeline.examples.storage.RunStatus;
import dev.lifeline.examples.storage.Watermark;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watermark API's JSON, on Jackson. Unknown fields are ignored, so the server may add fields; a
 * missing required field fails with its name. Timestamps are written as ISO-8601 UTC ({@code
 * 2026-01-01T00:00:00Z}) and read with any offset, normalized to UTC; one without an offset (e.g.
 * Python's naive {@code isoformat()}) is read as UTC with a WARN naming the field.
 *
 * <p>Stateless and thread-safe: the mapper is configured once and never changed.
 */
public final class WatermarkJson {

  private static final Logger log = LoggerFactory.getLogger(WatermarkJson.class);

  /** The {@code error} code of the storage service's own "no watermark for this source" 404. */
  public static final String WATERMARK_NOT_FOUND = "watermark_not_found";

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .addModule(new SimpleModule().addDeserializer(Instant.class, new UtcInstant()))
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .build();

  private WatermarkJson() {}

  /** The GET answer: a source's watermark. */
  public record WatermarkBody(
      @JsonProperty(value = "source_id", required = true) String sourceId,
      @JsonProperty(value = "last_run_timestamp", required = true) Instant lastRunTimestamp,
      @JsonProperty("last_successful_timestamp") @Nullable Instant lastSuccessfulTimestamp,
      @JsonProperty(value = "status", required = true) String status,
      @JsonProperty("error_message") @Nullable String errorMessage) {}

  /** The PUT body: {@code {timestamp, status, error_message?}}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Update(
      @JsonProperty(value = "timestamp", required = true) Instant timestamp,
      @JsonProperty(value = "status", required = true) String status,
      @JsonProperty("error_message") @Nullable String errorMessage) {}

  /** An error answer: {@code {error, source_id?}}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ErrorBody(
      @JsonProperty("error") @Nullable String error,
      @JsonProperty("source_id") @Nullable String sourceId) {}

  /** A malformed or incomplete body; the message names the field when one is at fault. */
  public static final class InvalidJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidJsonException(String message, @Nullable Throwable cause) {
      super(message, cause);
    }
  }

  /** The PUT body for a run. */
  public static String update(Instant timestamp, RunStatus status, @Nullable String errorMessage) {
    return write(new Update(timestamp, status.wire(), errorMessage));
  }

  /** The GET body of {@code w}. */
  public static String watermark(Watermark w) {
    return write(
        new WatermarkBody(
            w.sourceId(),
            w.lastRunTimestamp(),
            w.lastSuccessfulTimestamp(),
            w.status().wire(),
            w.errorMessage()));
  }

  /** An error body. */
  public static String error(String error, @Nullable String sourceId) {
    return write(new ErrorBody(error, sourceId));
  }

  /**
   * Reads a GET body.
   *
   * @throws InvalidJsonException if malformed, or a required field is missing or invalid
   */
  public static Watermark parseWatermark(String json) throws InvalidJsonException {
    WatermarkBody b = read(json, WatermarkBody.class);
    return new Watermark(
        required(b.sourceId(), "source_id"),
        required(b.lastRunTimestamp(), "last_run_timestamp"),
        b.lastSuccessfulTimestamp(),
        status(b.status()),
        b.errorMessage());
  }

  /**
   * Reads a PUT body.
   *
   * @throws InvalidJsonException if malformed, or a required field is missing or invalid
   */
  public static Update parseUpdate(String json) throws InvalidJsonException {
    Update u = read(json, Update.class);
    required(u.timestamp(), "timestamp");
    status(u.status());
    return u;
  }

  /**
   * Reads an error body.
   *
   * @throws InvalidJsonException if it is not a JSON object
   */
  public static ErrorBody parseError(String json) throws InvalidJsonException {
    return read(json, ErrorBody.class);
  }

  private static <T> T read(String json, Class<T> type) throws InvalidJsonException {
    try {
      T value = MAPPER.readValue(json, type);
      if (value == null) {
        throw new InvalidJsonException("malformed JSON: null (expected: an object)", null);
      }
      return value;
    } catch (JsonProcessingException e) {
      // Databind wraps a parse failure met inside a field's deserializer.
      boolean malformed =
          e instanceof StreamReadException || e.getCause() instanceof StreamReadException;
      throw new InvalidJsonException(
          (malformed ? "malformed JSON: " : "") + e.getOriginalMessage(), e);
    }
  }

  // Jackson leaves a missing field null even where the record's type says it cannot be.
  private static <T> T required(@Nullable T value, String field) throws InvalidJsonException {
    if (value == null) {
      throw new InvalidJsonException(field + ": null (expected: a value)", null);
    }
    return value;
  }

  /** Parses a run status, or names the field and the value it cannot use. */
  public static RunStatus status(String wire) throws InvalidJsonException {
    try {
      return RunStatus.fromWire(wire);
    } catch (IllegalArgumentException e) {
      throw new InvalidJsonException(String.valueOf(e.getMessage()), e);
    }
  }

  private static String write(Object body) {
    try {
      return MAPPER.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      // Records of strings and instants always serialize.
      throw new IllegalStateException("cannot write " + body.getClass().getSimpleName(), e);
    }
  }

  /**
   * Reads an ISO-8601 timestamp into an {@link Instant}: with an offset as given, without one as
   * UTC, with a WARN naming the field, since the writer's intent is a guess.
   */
  private static final class UtcInstant extends StdScalarDeserializer<Instant> {
    private static final long serialVersionUID = 1L;

    UtcInstant() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      String text = p.getValueAsString();
      if (text == null) {
        return (Instant) ctx.handleUnexpectedToken(Instant.class, p);
      }
      String field = p.currentName();
      TemporalAccessor t;
      try {
        t =
            DateTimeFormatter.ISO_DATE_TIME.parseBest(
                text, OffsetDateTime::from, LocalDateTime::from);
      } catch (DateTimeParseException e) {
        return (Instant)
            ctx.handleWeirdStringValue(
                Instant.class, text, "expected ISO-8601, e.g. 2026-01-01T00:00:00Z");
      }
      if (t instanceof OffsetDateTime odt) {
        return odt.toInstant();
      }
      log.atWarn()
          .addKeyValue("field", field)
          .addKeyValue("value", text)
          .log("timestamp without offset in '{}': read as UTC", field);
      return ((LocalDateTime) t).toInstant(ZoneOffset.UTC);
    }
  }
}
