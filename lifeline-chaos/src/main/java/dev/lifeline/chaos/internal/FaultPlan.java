package dev.lifeline.chaos.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What one fault of the schedule will do, decided before the run starts: its kind, how long it is
 * held, and which NATS node it hits. Everything random about a run is decided here, from the seed,
 * so that a seed names one schedule. Immutable.
 *
 * @param kind the fault
 * @param hold how long the fault is held before it is healed; zero when the heal waits for a
 *     condition (a new tenure, a call served) instead of a time
 * @param node the NATS node it hits, for the node faults; -1 for the faults on the active member
 *     and for {@link FaultKind#STREAM_LEADER_KILL}, whose node is the leader at that moment
 */
record FaultPlan(FaultKind kind, Duration hold, int node) {

  /**
   * The plan of {@code count} faults for a group with lease TTL {@code ttl} over {@code nodes} NATS
   * nodes: the kinds of {@link FaultKind#schedule}, then each fault's draws in schedule order.
   */
  static List<FaultPlan> schedule(int count, Duration ttl, int nodes, Random random) {
    List<FaultPlan> plans = new ArrayList<>(count);
    for (FaultKind kind : FaultKind.schedule(count, random)) {
      plans.add(of(kind, ttl, nodes, random));
    }
    return plans;
  }

  /** One fault's plan; draws from {@code random} only what the kind needs, in a fixed order. */
  static FaultPlan of(FaultKind kind, Duration ttl, int nodes, Random random) {
    return switch (kind) {
      // Longer than the TTL, so the lease expires and another member takes over meanwhile.
      case ACTIVE_PAUSE -> new FaultPlan(kind, ttl.plusMillis(1_000 + random.nextInt(500)), -1);
      case NODE_SPLIT -> {
        int node = random.nextInt(nodes);
        yield new FaultPlan(kind, ttl.multipliedBy(2).plusMillis(random.nextInt(1_000)), node);
      }
      case NODE_RESTART -> new FaultPlan(kind, Duration.ZERO, random.nextInt(nodes));
      case ACTIVE_KILL, GRACEFUL_STOP, STREAM_LEADER_KILL, ACTIVE_CUT_OFF ->
          new FaultPlan(kind, Duration.ZERO, -1);
    };
  }
}
