package dev.lifeline.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hand-moved time for lifeline-core's own tests (lifeline-testing's FakeClock depends on this
 * module, so it cannot be used here). Thread-safe.
 */
final class ManualTime implements Ticker {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Override
  public long nanos() {
    return nanos.get();
  }

  void forward(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  Clock clock() {
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.EPOCH.plusNanos(nanos.get());
      }
    };
  }
}
