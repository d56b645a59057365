package dev.lifeline.core.spi;

import dev.lifeline.core.CallReport;
import dev.lifeline.core.StopReason;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@link CallExecution#afterAttempt} decided: retry after {@link #delay()}, or stop with
 * {@link #report()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Decision {

  // Exactly one of the two is set.
  private final @Nullable Duration delay;
  private final @Nullable CallReport report;

  private Decision(@Nullable Duration delay, @Nullable CallReport report) {
    this.delay = delay;
    this.report = report;
  }

  static Decision retryAfter(Duration delay) {
    return new Decision(Objects.requireNonNull(delay), null);
  }

  static Decision stop(CallReport report) {
    return new Decision(null, Objects.requireNonNull(report));
  }

  /** Whether another attempt should be made after {@link #delay()}. */
  public boolean retry() {
    return delay != null;
  }

  /**
   * The wait before the next attempt.
   *
   * @throws IllegalStateException if this decision is to stop
   */
  public Duration delay() {
    if (delay == null) {
      throw new IllegalStateException("decision is to stop: " + report().stopReason());
    }
    return delay;
  }

  /**
   * The report of the failed call.
   *
   * @throws IllegalStateException if this decision is to retry
   */
  public CallReport report() {
    if (report == null) {
      throw new IllegalStateException("decision is to retry after " + delay);
    }
    return report;
  }

  /** Why the call stopped, or {@code null} if this decision is to retry. */
  public @Nullable StopReason stopReason() {
    return report == null ? null : report.stopReason();
  }

  @Override
  public String toString() {
    return retry() ? "retry after " + delay : "stop: " + report().message();
  }
}
