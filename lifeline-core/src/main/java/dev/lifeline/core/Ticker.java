package dev.lifeline.core;

/**
 * A source of monotonic nanoseconds, injected wherever Lifeline measures or waits so that tests can
 * drive time by hand.
 *
 * <p>Implementations must be thread-safe. Only differences between two readings are meaningful.
 */
@FunctionalInterface
public interface Ticker {

  /**
   * Returns the current reading in nanoseconds; only differences between readings mean anything.
   */
  long nanos();

  /** Returns the ticker backed by {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
