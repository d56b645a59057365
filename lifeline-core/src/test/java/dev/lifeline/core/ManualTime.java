package dev.lifeline.core;

import dev.lifeline.core.internal.TickerClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hand-moved time for lifeline-core's own tests (lifeline-testing's FakeClock depends on this
 * module, so it cannot be used here); its wall clock is the shared {@link TickerClock}.
 * Thread-safe.
 */
public final class ManualTime implements Ticker {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Override
  public long nanos() {
    return nanos.get();
  }

  public void forward(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  /** Wall time that moves with {@link #nanos()}, from the epoch. */
  public Clock clock() {
    return TickerClock.of(this, Instant.EPOCH);
  }
}
