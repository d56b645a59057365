package dev.lifeline.core;

import dev.lifeline.core.internal.Check;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One attempt of a logical call.
 *
 * @param number 1 for the first call, 2 for the first retry, ...
 * @param status the transport's status text, e.g. {@code "UNAVAILABLE (connection refused)"} or
 *     {@code "HTTP 503"}; secrets redacted
 * @param kind the failure's classification, or {@code null} if the attempt succeeded
 * @param delayBefore the wait before this attempt (zero for the first)
 * @param duration how long the attempt took
 */
public record Attempt(
    int number,
    String status,
    @Nullable FailureKind kind,
    Duration delayBefore,
    Duration duration) {

  /** Validates the fields. */
  public Attempt {
    Check.atLeast("number", number, 1);
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(delayBefore, "delayBefore");
    Objects.requireNonNull(duration, "duration");
  }

  /** Whether the attempt succeeded. */
  public boolean succeeded() {
    return kind == null;
  }
}
