package dev.lifeline.active.internal;

import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.GroupId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters of one member (see {@link ActiveMember} for their names), and the counts its {@link
 * dev.lifeline.active.GroupState} reports, which must not depend on the registry (the default one
 * records nothing). Thread-safe.
 */
final class MemberMetrics {

  private final MeterRegistry registry;
  private final Gauge roleGauge;
  private final Counter wonCounter;
  private final Counter lostCounter;
  private final Counter renewFailures;
  private final Counter stepDowns;
  private final Counter storeErrors;
  private final AtomicLong electionsWon = new AtomicLong();
  private final AtomicLong electionsLost = new AtomicLong();
  private final AtomicLong renewFailuresCount = new AtomicLong();
  private final AtomicLong stepDownsCount = new AtomicLong();

  MemberMetrics(MeterRegistry registry, GroupId group, String id, ActiveMember member) {
    Tags tags = Tags.of("service", group.service(), "group", group.group(), "member", id);
    this.registry = registry;
    // A member restarted under the same id (after a crash, without close) would otherwise get the
    // old incarnation's gauge back from the registry, still reading the dead object.
    Gauge previous = registry.find("lifeline.active.role").tags(tags).gauge();
    if (previous != null) {
      registry.remove(previous);
    }
    this.roleGauge =
        Gauge.builder("lifeline.active.role", member, m -> m.isActive() ? 1 : 0)
            .description("1 while this member is ACTIVE, 0 while STANDBY")
            .tags(tags)
            .register(registry);
    wonCounter = elections(tags, "won");
    lostCounter = elections(tags, "lost");
    renewFailures =
        Counter.builder("lifeline.active.renew.failures")
            .description("Heartbeats that could not renew the lease")
            .tags(tags)
            .register(registry);
    stepDowns =
        Counter.builder("lifeline.active.stepdowns")
            .description("Times this member gave up being active")
            .tags(tags)
            .register(registry);
    storeErrors =
        Counter.builder("lifeline.active.store.errors")
            .description("Lease-store operations that failed or timed out")
            .tags(tags)
            .register(registry);
  }

  private Counter elections(Tags tags, String result) {
    return Counter.builder("lifeline.active.elections")
        .description("Lease acquisitions tried, by result")
        .tags(tags)
        .tag("result", result)
        .register(registry);
  }

  void electionWon() {
    electionsWon.incrementAndGet();
    wonCounter.increment();
  }

  void electionLost() {
    electionsLost.incrementAndGet();
    lostCounter.increment();
  }

  void renewFailed() {
    renewFailuresCount.incrementAndGet();
    renewFailures.increment();
  }

  void steppedDown() {
    stepDownsCount.incrementAndGet();
    stepDowns.increment();
  }

  void storeError() {
    storeErrors.increment();
  }

  long electionsWon() {
    return electionsWon.get();
  }

  long electionsLost() {
    return electionsLost.get();
  }

  long renewFailures() {
    return renewFailuresCount.get();
  }

  long stepDowns() {
    return stepDownsCount.get();
  }

  /** Removes this incarnation's gauge, unless a successor under the same id replaced it. */
  void unregister() {
    if (registry.find(roleGauge.getId().getName()).tags(roleGauge.getId().getTags()).gauge()
        == roleGauge) {
      registry.remove(roleGauge);
    }
  }
}
