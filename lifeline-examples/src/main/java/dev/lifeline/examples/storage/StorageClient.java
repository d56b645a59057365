package dev.lifeline.examples.storage;

import dev.lifeline.core.internal.Check;
import dev.lifeline.examples.storage.internal.WatermarkJson;
import dev.lifeline.http.ErrorType;
import dev.lifeline.http.HttpClientConfig;
import dev.lifeline.http.HttpRequest;
import dev.lifeline.http.HttpResponse;
import dev.lifeline.http.LifelineHttpClient;
import dev.lifeline.http.LifelineHttpException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The storage service's watermark client (LADON's {@code StorageServiceClient}) on Lifeline's HTTP
 * client: pooled, with the shared retry policy and a circuit breaker for which a missing watermark
 * (404) is not a failure.
 *
 * <p>Unlike the original, it never answers "nothing" when it does not know: {@link
 * #getWatermark(String)} returns empty only for storage's own not-found answer, throws {@link
 * StorageUnavailableException} when storage is down and {@link StorageMisroutedException} for any
 * other 404, and {@link #updateWatermark} throws instead of returning {@code false}.
 *
 * <p>Its requests carry the routes {@code GET /api/v1/watermarks/{source_id}} and {@code PUT
 * /api/v1/watermarks/{source_id}}, under which the client's {@link dev.lifeline.core.CallPolicy}
 * may hold their own retry policies.
 *
 * <p>Thread-safe; share one instance.
 */
public final class StorageClient implements AutoCloseable {

  private static final String JSON = "application/json";
  private static final String GET_ROUTE = "GET /api/v1/watermarks/{source_id}";
  private static final String PUT_ROUTE = "PUT /api/v1/watermarks/{source_id}";

  /** A watermark is a few hundred bytes: anything much larger is not one. */
  private static final long MAX_WATERMARK_BYTES = 64 * 1024;

  private static final Pattern SOURCE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,200}");

  private final LifelineHttpClient http;

  private StorageClient(LifelineHttpClient http) {
    this.http = http;
  }

  /** A client with {@code config} (name it, e.g. {@code storage}, and set the environment). */
  public static StorageClient create(HttpClientConfig config) {
    return new StorageClient(LifelineHttpClient.create(config));
  }

  /** A client over an existing HTTP client, which it closes on {@link #close()}. */
  public static StorageClient wrap(LifelineHttpClient http) {
    return new StorageClient(Objects.requireNonNull(http, "http"));
  }

  /**
   * Reads the watermark of {@code sourceId}.
   *
   * @return the watermark, or empty if storage says it has none (first run): a 404 carrying
   *     storage's own not-found answer
   * @throws IllegalArgumentException if {@code sourceId} is not 1-200 characters of {@code
   *     [A-Za-z0-9._:-]}
   * @throws StorageUnavailableException if storage is down, timing out, failing or its breaker is
   *     open
   * @throws StorageMisroutedException if the answer is a 404 that is not storage's own (a wrong
   *     base URL, an ingress without the route)
   * @throws StorageProtocolException if storage answered something that is not a watermark
   * @throws StorageException if storage refused the request (another 4xx)
   */
  public Optional<Watermark> getWatermark(String sourceId) {
    String path = path(sourceId);
    String what = "GET " + path;
    HttpResponse r;
    try {
      r =
          http.execute(
              HttpRequest.builder("GET", path)
                  .route(GET_ROUTE)
                  .acceptStatus(404)
                  .maxResponseBytes(MAX_WATERMARK_BYTES)
                  .build());
    } catch (LifelineHttpException e) {
      throw translate(what, e);
    }
    if (r.status() == 404) {
      return noWatermark(what, sourceId, r);
    }
    if (r.status() != 200) {
      throw new StorageProtocolException(
          what + ": unexpected status " + r.status() + " (expected: 200 or 404)", null);
    }
    Watermark w;
    try {
      w = WatermarkJson.parseWatermark(json(what, r));
    } catch (WatermarkJson.InvalidJsonException e) {
      throw new StorageProtocolException(what + ": " + e.getMessage(), e);
    }
    if (!w.sourceId().equals(sourceId)) {
      throw new StorageProtocolException(
          what + ": answer is for source '" + w.sourceId() + "'", null);
    }
    return Optional.of(w);
  }

  /**
   * Empty if the 404 is storage's own "no watermark" answer for this source. Any other 404 comes
   * from something else answering for the path: reading it as "no watermark" would restart the
   * collection from scratch.
   */
  private static Optional<Watermark> noWatermark(String what, String sourceId, HttpResponse r) {
    String reason;
    if (!r.mediaType().equals(JSON)) {
      reason = "content type '" + r.header("content-type").orElse("") + "'";
    } else {
      try {
        WatermarkJson.ErrorBody e = WatermarkJson.parseError(r.bodyText());
        if (WatermarkJson.WATERMARK_NOT_FOUND.equals(e.error())
            && (e.sourceId() == null || e.sourceId().equals(sourceId))) {
          return Optional.empty();
        }
        reason = "error '" + e.error() + "'";
      } catch (WatermarkJson.InvalidJsonException e) {
        reason = e.getMessage();
      }
    }
    throw new StorageMisroutedException(
        what
            + ": 404 without storage's not-found answer ("
            + reason
            + "; expected: error '"
            + WatermarkJson.WATERMARK_NOT_FOUND
            + "'): is the base URL or the route wrong?",
        null);
  }

  private static String json(String what, HttpResponse r) {
    if (!r.mediaType().equals(JSON)) {
      throw new StorageProtocolException(
          what
              + ": content type '"
              + r.header("content-type").orElse("")
              + "' (expected: application/json)",
          null);
    }
    return r.bodyText();
  }

  /**
   * Records a run of {@code sourceId} at {@code timestamp}.
   *
   * @param errorMessage the run's error, or {@code null}
   * @throws IllegalArgumentException if {@code sourceId} is invalid
   * @throws StorageUnavailableException if storage is down, timing out, failing or its breaker is
   *     open
   * @throws StorageException if storage refused the update
   */
  public void updateWatermark(
      String sourceId, Instant timestamp, RunStatus status, @Nullable String errorMessage) {
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(status, "status");
    String path = path(sourceId);
    String body = WatermarkJson.update(timestamp, status, errorMessage);
    try {
      http.execute(HttpRequest.builder("PUT", path).route(PUT_ROUTE).body(body, JSON).build());
    } catch (LifelineHttpException e) {
      throw translate("PUT " + path, e);
    }
  }

  /**
   * Records a run at {@code timestamp}, normalized to UTC whatever its offset.
   *
   * @see #updateWatermark(String, Instant, RunStatus, String)
   */
  public void updateWatermark(
      String sourceId, OffsetDateTime timestamp, RunStatus status, @Nullable String errorMessage) {
    updateWatermark(
        sourceId, Objects.requireNonNull(timestamp, "timestamp").toInstant(), status, errorMessage);
  }

  /**
   * Checks storage's health endpoint, bypassing the breaker.
   *
   * @return whether storage is healthy
   * @throws dev.lifeline.http.HealthCheckFailedException if unhealthy and the client's {@link
   *     HttpClientConfig#failedHealthCheckThrows()} (the default in production)
   */
  public boolean healthCheck() {
    return http.healthCheck();
  }

  /** The underlying HTTP client, e.g. for pool statistics. */
  public LifelineHttpClient http() {
    return http;
  }

  @Override
  public void close() {
    http.close();
  }

  private static String path(String sourceId) {
    if (sourceId == null || !SOURCE_ID.matcher(sourceId).matches()) {
      throw Check.invalid("sourceId", "'" + sourceId + "'", "1-200 characters of [A-Za-z0-9._:-]");
    }
    return "/api/v1/watermarks/" + sourceId;
  }

  private static StorageException translate(String what, LifelineHttpException e) {
    if (e.errorType() == ErrorType.CLIENT_ERROR) {
      return new StorageException("storage refused " + what + ": " + e.getMessage(), e);
    }
    if (e.errorType() == ErrorType.RESPONSE_TOO_LARGE) {
      return new StorageProtocolException(what + ": " + e.getMessage(), e);
    }
    return new StorageUnavailableException("storage unavailable for " + what, e);
  }
}
