package dev.lifeline.core.internal;

import dev.lifeline.core.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * Wall time that moves with a {@link Ticker}, for the fake clocks of Lifeline's tests: Resilience4j
 * and other libraries read a {@link Clock}, and a test that drives a ticker by hand must move their
 * time too. The one adapter for lifeline-testing's {@code FakeClock} and lifeline-core's own tests
 * (which cannot depend on lifeline-testing, because it depends on lifeline-core).
 *
 * <p>Stateless and thread-safe; the returned clock is as thread-safe as its ticker.
 */
public final class TickerClock {

  private TickerClock() {}

  /** A UTC clock reading {@code origin} plus the ticker's nanoseconds. */
  public static Clock of(Ticker ticker, Instant origin) {
    Objects.requireNonNull(ticker, "ticker");
    Objects.requireNonNull(origin, "origin");
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
        return origin.plusNanos(ticker.nanos());
      }
    };
  }
}
