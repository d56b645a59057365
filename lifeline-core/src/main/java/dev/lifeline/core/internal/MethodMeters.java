package dev.lifeline.core.internal;

import dev.lifeline.core.StopReason;
import dev.lifeline.core.spi.LatencyHistogram;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one method of one policy, bound once so that a call never looks a meter up.
 * Thread-safe: the maps are filled in the constructor and only read afterwards.
 */
public final class MethodMeters {
  private final Counter successes;
  private final Timer successDuration;
  private final Map<StopReason, Counter> failures = new EnumMap<>(StopReason.class);
  private final Map<StopReason, Timer> failureDuration = new EnumMap<>(StopReason.class);
  private final DistributionSummary attempts;

  MethodMeters(String service, String method, MeterRegistry registry) {
    successes = calls(service, method, "success", registry);
    successDuration = duration(service, method, "success", registry);
    for (StopReason r : StopReason.values()) {
      String outcome = r.name().toLowerCase(Locale.ROOT);
      failures.put(r, calls(service, method, outcome, registry));
      failureDuration.put(r, duration(service, method, outcome, registry));
    }
    attempts =
        DistributionSummary.builder("lifeline.call.attempts")
            .description("Attempts per logical call, the first included")
            .tag("service", service)
            .tag("method", method)
            .register(registry);
  }

  private static Counter calls(
      String service, String method, String outcome, MeterRegistry registry) {
    return Counter.builder("lifeline.calls")
        .description("Logical calls, by how they ended")
        .tag("service", service)
        .tag("method", method)
        .tag("outcome", outcome)
        .register(registry);
  }

  private static Timer duration(
      String service, String method, String outcome, MeterRegistry registry) {
    return LatencyHistogram.buckets(Timer.builder("lifeline.call.duration"))
        .description("Duration of logical calls, all attempts and waits included")
        .tag("service", service)
        .tag("method", method)
        .tag("outcome", outcome)
        .register(registry);
  }

  /** Records a finished call; {@code stop} is null on success. */
  public void record(@Nullable StopReason stop, int attemptCount, long nanos) {
    if (stop == null) {
      successes.increment();
      successDuration.record(nanos, TimeUnit.NANOSECONDS);
    } else {
      // Both maps hold every StopReason from construction on.
      Objects.requireNonNull(failures.get(stop)).increment();
      Objects.requireNonNull(failureDuration.get(stop)).record(nanos, TimeUnit.NANOSECONDS);
    }
    attempts.record(attemptCount);
  }
}
