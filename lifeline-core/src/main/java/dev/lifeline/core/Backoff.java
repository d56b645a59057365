package dev.lifeline.core;

import dev.lifeline.core.internal.Check;
import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * An exponential backoff: retry {@code n} waits {@code initial × multiplier^(n-1)}, capped at
 * {@code max}, then randomised by a {@link Jitter}.
 *
 * <p>Immutable and thread-safe; the {@code with...} methods return modified copies.
 */
public final class Backoff {

  private final Duration initial;
  private final Duration max;
  private final double multiplier;
  private final Jitter jitter;

  private Backoff(Duration initial, Duration max, double multiplier, Jitter jitter) {
    this.initial = initial;
    this.max = max;
    this.multiplier = multiplier;
    this.jitter = jitter;
  }

  /**
   * An exponential backoff from {@code initial} to {@code max} with multiplier 2 and ±20% jitter.
   *
   * @throws IllegalArgumentException if {@code initial} is negative or {@code max < initial}
   */
  public static Backoff exponential(Duration initial, Duration max) {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    Check.atLeast("initial", initial, Duration.ZERO);
    if (max.compareTo(initial) < 0) {
      throw Check.invalid("max", max, ">= initial " + initial);
    }
    return new Backoff(initial, max, 2.0, Jitter.proportional(0.2));
  }

  /** The same delay before every retry, without jitter. */
  public static Backoff fixed(Duration delay) {
    return exponential(delay, delay).withMultiplier(1).withJitter(Jitter.none());
  }

  /**
   * Returns a copy with {@code multiplier}.
   *
   * @throws IllegalArgumentException if {@code multiplier < 1} or not finite
   */
  public Backoff withMultiplier(double multiplier) {
    Check.inRange("multiplier", multiplier, 1, 100);
    return new Backoff(initial, max, multiplier, jitter);
  }

  /** Returns a copy with {@code jitter}. */
  public Backoff withJitter(Jitter jitter) {
    return new Backoff(initial, max, multiplier, Objects.requireNonNull(jitter, "jitter"));
  }

  /**
   * The delay before retry number {@code retryNumber} (1 is the first retry, i.e. the second
   * attempt).
   *
   * @param random uniform draws from {@code [0, 1)}
   * @throws IllegalArgumentException if {@code retryNumber < 1}
   */
  public Duration delay(int retryNumber, DoubleSupplier random) {
    Check.atLeast("retryNumber", retryNumber, 1);
    double base = initial.toNanos() * Math.pow(multiplier, retryNumber - 1);
    long capped = (long) Math.min(base, (double) max.toNanos());
    long jittered = jitter.apply(capped, random.getAsDouble());
    return Duration.ofNanos(Math.max(0, Math.min(jittered, max.toNanos())));
  }

  /** The delay before the first retry, before jitter. */
  public Duration initial() {
    return initial;
  }

  /** The largest delay. Jitter never exceeds it. */
  public Duration max() {
    return max;
  }

  /** The growth factor between consecutive retries. */
  public double multiplier() {
    return multiplier;
  }

  /** The randomisation. */
  public Jitter jitter() {
    return jitter;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (!(o instanceof Backoff b)) {
      return false;
    }
    return initial.equals(b.initial)
        && max.equals(b.max)
        && multiplier == b.multiplier
        && jitter.equals(b.jitter);
  }

  @Override
  public int hashCode() {
    return Objects.hash(initial, max, multiplier, jitter);
  }

  @Override
  public String toString() {
    return "exponential(" + initial + ".." + max + ", x" + multiplier + ", jitter " + jitter + ")";
  }
}
