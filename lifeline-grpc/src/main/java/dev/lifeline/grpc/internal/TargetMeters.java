package dev.lifeline.grpc.internal;

import dev.lifeline.core.internal.Check;
import io.grpc.ConnectivityState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one {@link ManagedTarget}, registered at creation and removed when it closes.
 *
 * <p>Thread-safe: the meters are Micrometer's; the fields are final and filled in the constructor.
 */
final class TargetMeters {

  /** Why a channel was rebuilt: the values of the {@code reason} tag. */
  private static final List<String> REBUILD_REASONS = List.of("shutdown", "stuck_ready", "manual");

  final Counter creations;
  final Counter resets;
  private final AtomicInteger leases = new AtomicInteger();
  private final Map<String, Counter> rebuilds = new ConcurrentHashMap<>();
  private final List<Meter> meters = new ArrayList<>();
  private final MeterRegistry registry;

  TargetMeters(String target, ManagedTarget owner, MeterRegistry r) {
    this.registry = r;
    this.creations =
        Counter.builder("lifeline.channel.creations")
            .description("gRPC channels created for the target")
            .tag("target", target)
            .register(r);
    this.resets =
        Counter.builder("lifeline.channel.backoff.resets")
            .description("Times Lifeline skipped grpc's reconnect backoff while calls waited")
            .tag("target", target)
            .register(r);
    meters.add(creations);
    meters.add(resets);
    for (String reason : REBUILD_REASONS) {
      Counter c =
          Counter.builder("lifeline.channel.rebuilds")
              .description("Channels replaced by a fresh one, by reason")
              .tag("target", target)
              .tag("reason", reason)
              .register(r);
      rebuilds.put(reason, c);
      meters.add(c);
    }
    meters.add(
        Gauge.builder("lifeline.channel.leases", leases, AtomicInteger::get)
            .tag("target", target)
            .description("leases held on the pooled channel")
            .register(r));
    for (ConnectivityState s : ConnectivityState.values()) {
      meters.add(
          Gauge.builder("lifeline.channel.state", owner, m -> m.state() == s ? 1 : 0)
              .tag("target", target)
              .tag("state", s.name().toLowerCase(Locale.ROOT))
              .description("1 for the channel's current connectivity state, else 0")
              .register(r));
    }
  }

  void leases(int count) {
    leases.set(count);
  }

  /** {@code reason} is one of "shutdown", "stuck_ready", "manual". */
  void rebuilt(String reason) {
    Counter c = rebuilds.get(reason);
    if (c == null) {
      throw Check.invalid("reason", reason, "one of " + REBUILD_REASONS);
    }
    c.increment();
  }

  void remove() {
    for (Meter m : meters) {
      registry.remove(m);
    }
  }
}
