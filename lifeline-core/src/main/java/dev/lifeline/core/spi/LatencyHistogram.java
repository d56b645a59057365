package dev.lifeline.core.spi;

import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The latency buckets every Lifeline timer publishes, so that Prometheus computes any quantile
 * across instances with {@code histogram_quantile(0.99, sum by (le) (rate(..._bucket[5m])))}.
 * Twelve fixed buckets (5 ms to 30 s, with 2 s where the failover alert looks) keep the series
 * count small and the same on every instance, which client-side percentiles cannot be aggregated
 * into. Stateless and thread-safe.
 */
public final class LatencyHistogram {

  private static final Duration[] BUCKETS = {
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(2),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
  };

  private LatencyHistogram() {}

  /** {@code timer} publishing Lifeline's latency buckets. */
  public static Timer.Builder buckets(Timer.Builder timer) {
    return timer.serviceLevelObjectives(BUCKETS.clone());
  }
}
