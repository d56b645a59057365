package dev.lifeline.http;

import java.time.Duration;

/**
 * Waits between attempts of a blocking call. Injected so that tests can move a fake clock instead
 * of sleeping. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Sleeper {

  /**
   * Waits for {@code delay}.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void sleep(Duration delay) throws InterruptedException;

  /** The sleeper backed by {@link Thread#sleep(long, int)}. */
  static Sleeper system() {
    return d -> {
      if (!d.isNegative() && !d.isZero()) {
        Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
      }
    };
  }
}
