package dev.lifeline.examples.storage;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How far a source has been collected. All times are UTC instants. Immutable and thread-safe.
 *
 * @param sourceId the source
 * @param lastRunTimestamp when the last run (successful or not) was recorded for
 * @param lastSuccessfulTimestamp the watermark proper: the last successful run, or {@code null}
 * @param status the last run's status
 * @param errorMessage the last run's error, or {@code null}
 */
public record Watermark(
    String sourceId,
    Instant lastRunTimestamp,
    @Nullable Instant lastSuccessfulTimestamp,
    RunStatus status,
    @Nullable String errorMessage) {

  /** Checks the required fields. */
  public Watermark {
    Objects.requireNonNull(sourceId, "sourceId");
    Objects.requireNonNull(lastRunTimestamp, "lastRunTimestamp");
    Objects.requireNonNull(status, "status");
  }

  /** The last successful run, if any. */
  public Optional<Instant> lastSuccessful() {
    return Optional.ofNullable(lastSuccessfulTimestamp);
  }
}
