package dev.lifeline.examples.storage;

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

/**
 * The storage service's watermark client (LADON's {@code StorageServiceClient}) on Lifeline's HTTP
 * client: pooled, with the shared retry policy and a circuit breaker for which a missing watermark
 * (404) is not a failure.
 *
 * <p>Unlike the original, it never answers "nothing" when it does not know: {@link
 * #getWatermark(String)} returns empty only for a 404 and throws {@link
 * StorageUnavailableException} when storage is down, and {@link #updateWatermark} throws instead of
 * returning {@code false}.
 *
 * <p>Thread-safe; share one instance.
 */
public final class StorageClient implements AutoCloseable {

  private static final String JSON = "application/json";
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
   * @return the watermark, or empty if storage has none (first run)
   * @throws IllegalArgumentException if {@code sourceId} is not 1-200 characters of {@code
   *     [A-Za-z0-9._:-]}
   * @throws StorageUnavailableException if storage is down, timing out, failing or its breaker is
   *     open
   * @throws StorageProtocolException if storage answered something that is not a watermark
   * @throws StorageException if storage refused the request (4xx other than 404)
   */
  public Optional<Watermark> getWatermark(String sourceId) {
    String path = path(sourceId);
    HttpResponse r;
    try {
      r = http.execute(HttpRequest.builder("GET", path).acceptStatus(404).build());
    } catch (LifelineHttpException e) {
      throw translate("GET " + path, e);
    }
    if (r.status() == 404) {
      return Optional.empty();
    }
    if (r.status() != 200) {
      throw new StorageProtocolException(
          "GET " + path + ": unexpected status " + r.status() + " (expected: 200 or 404)", null);
    }
    if (!r.mediaType().equals(JSON)) {
      throw new StorageProtocolException(
          "GET "
              + path
              + ": content type '"
              + r.header("content-type").orElse("")
              + "' (expected: application/json)",
          null);
    }
    Watermark w;
    try {
      w = WatermarkJson.parseWatermark(r.bodyText());
    } catch (IllegalArgumentException e) {
      throw new StorageProtocolException("GET " + path + ": " + e.getMessage(), e);
    }
    if (!w.sourceId().equals(sourceId)) {
      throw new StorageProtocolException(
          "GET " + path + ": answer is for source '" + w.sourceId() + "'", null);
    }
    return Optional.of(w);
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
      String sourceId, Instant timestamp, RunStatus status, String errorMessage) {
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(status, "status");
    String path = path(sourceId);
    String body = WatermarkJson.update(timestamp, status, errorMessage);
    try {
      http.execute(
          HttpRequest.put(path, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), JSON));
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
      String sourceId, OffsetDateTime timestamp, RunStatus status, String errorMessage) {
    updateWatermark(
        sourceId, Objects.requireNonNull(timestamp, "timestamp").toInstant(), status, errorMessage);
  }

  /**
   * Checks storage's health endpoint, bypassing the breaker.
   *
   * @return whether storage is healthy (outside production)
   * @throws dev.lifeline.http.HealthCheckFailedException if unhealthy in production
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
      throw new IllegalArgumentException(
          "sourceId: '" + sourceId + "' (expected: 1-200 characters of [A-Za-z0-9._:-])");
    }
    return "/api/v1/watermarks/" + sourceId;
  }

  private static StorageException translate(String what, LifelineHttpException e) {
    if (e.errorType() == ErrorType.CLIENT_ERROR) {
      return new StorageException("storage refused " + what + ": " + e.getMessage(), e);
    }
    return new StorageUnavailableException("storage unavailable for " + what, e);
  }
}
