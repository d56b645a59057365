package dev.lifeline.active.internal;

import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.GroupId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one member (see {@link ActiveMember} for their names), and the counts its {@link
 * dev.lifeline.active.GroupState} reports, which must not depend on the registry (the default one
 * records nothing). Thread-safe.
 */
final class MemberMetrics {

  private final MeterRegistry registry;
  private final Tags tags;

  /** Registered last, once the member it reads is complete; null before. */
  private volatile @Nullable Gauge roleGauge;

  private final Counter wonCounter;
  private final Counter lostCounter;
  private final Counter renewFailures;
  private final Counter stepDowns;
  private final Counter storeErrors;
  private final AtomicLong electionsWon = new AtomicLong();
  private final AtomicLong electionsLost = new AtomicLong();
  private final AtomicLong renewFailuresCount = new AtomicLong();
  private final AtomicLong stepDownsCount = new AtomicLong();

  MemberMetrics(MeterRegistry registry, GroupId group, String id) {
    this.tags = Tags.of("service", group.service(), "group", group.group(), "member", id);
    this.registry = registry;
    wonCounter = elections("won");
    lostCounter = elections("lost");
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

  /**
   * Registers the role gauge of {@code member}; call it once the member is fully built, since the
   * registry may read the gauge at any time from then on.
   */
  void registerRole(ActiveMember member) {
    // A member restarted under the same id (after a crash, without close) would otherwise get the
    // old incarnation's gauge back from the registry, still reading the dead object.
    Gauge previous = registry.find("lifeline.active.role").tags(tags).gauge();
    if (previous != null) {
      registry.remove(previous);
    }
    roleGauge =
        Gauge.builder("lifeline.active.role", member, m -> m.isActive() ? 1 : 0)
            .description("1 while this member is ACTIVE, 0 while STANDBY")
            .tags(tags)
            .register(registry);
  }

  private Counter elections(String result) {
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
    Gauge mine = roleGauge;
    if (mine != null
        && registry.find(mine.getId().getName()).tags(mine.getId().getTags()).gauge() == mine) {
      registry.remove(mine);
    }
  }
}
