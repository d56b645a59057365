package dev.lifeline.core;

import dev.lifeline.core.internal.Check;

/**
 * How a backoff delay is randomised so that many clients do not retry in lock-step.
 *
 * <p>Immutable and thread-safe.
 */
public final class Jitter {

  private static final Jitter NONE = new Jitter(Mode.NONE, 0);
  private static final Jitter FULL = new Jitter(Mode.FULL, 0);

  private enum Mode {
    NONE,
    FULL,
    PROPORTIONAL
  }

  private final Mode mode;
  private final double fraction;

  private Jitter(Mode mode, double fraction) {
    this.mode = mode;
    this.fraction = fraction;
  }

  /** No randomisation: the delay is exactly the computed backoff. */
  public static Jitter none() {
    return NONE;
  }

  /** "Full jitter": a delay drawn uniformly from {@code [0, backoff]}. */
  public static Jitter full() {
    return FULL;
  }

  /**
   * A delay drawn uniformly from {@code [backoff × (1 - fraction), backoff × (1 + fraction)]}.
   *
   * @throws IllegalArgumentException if {@code fraction} is not within {@code [0, 1]}
   */
  public static Jitter proportional(double fraction) {
    Check.inRange("jitter fraction", fraction, 0, 1);
    return new Jitter(Mode.PROPORTIONAL, fraction);
  }

  /**
   * Applies this jitter to {@code nanos} using {@code random}, a uniform draw from {@code [0, 1)}.
   */
  public long apply(long nanos, double random) {
    return switch (mode) {
      case FULL -> (long) (nanos * random);
      case PROPORTIONAL -> (long) (nanos * (1 - fraction + 2 * fraction * random));
      default -> nanos;
    };
  }

  /** The ± fraction of a proportional jitter; 0 for none, 1 for full. */
  public double fraction() {
    return mode == Mode.FULL ? 1 : fraction;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Jitter jitter && jitter.mode == mode && jitter.fraction == fraction;
  }

  @Override
  public int hashCode() {
    return mode.hashCode() * 31 + Double.hashCode(fraction);
  }

  @Override
  public String toString() {
    return switch (mode) {
      case FULL -> "full";
      case PROPORTIONAL -> "±" + Math.round(fraction * 100) + "%";
      default -> "none";
    };
  }
}
