package dev.lifeline.chaos.internal;

import dev.lifeline.testing.HistoryChecker;
import dev.lifeline.testing.NatsCluster;
import java.time.Duration;
import java.util.List;

/**
 * Injects one planned fault into a steady system, heals it, waits for the next steady state and
 * records what happened. Not thread-safe: driven by the run's thread.
 */
final class FaultInjector {

  private static final Duration MEMBER_READY_WITHIN = Duration.ofSeconds(60);
  private static final Duration NODE_ACCEPTING_WITHIN = Duration.ofSeconds(30);

  private final NatsCluster cluster;
  private final List<MemberProcess> members;
  private final HistoryChecker history;
  private final ClientLoad load;
  private final SteadyState steady;

  FaultInjector(
      NatsCluster cluster,
      List<MemberProcess> members,
      HistoryChecker history,
      ClientLoad load,
      SteadyState steady) {
    this.cluster = cluster;
    this.members = List.copyOf(members);
    this.history = history;
    this.load = load;
    this.steady = steady;
  }

  /**
   * Injects {@code plan} as the {@code index}-th fault, heals it and waits for the steady state.
   *
   * @throws IllegalStateException if the group did not recover in time
   */
  FaultRecord inject(int index, FaultPlan plan) {
    HistoryChecker.Ack before = load.requireTop();
    long tokenBefore = before.token();
    MemberProcess active = member(before.member());
    String target;
    long fault;
    switch (plan.kind()) {
      case ACTIVE_KILL -> {
        target = active.id();
        fault = System.nanoTime();
        active.kill();
        steady.awaitNewTenure(tokenBefore);
        active.start();
        active.awaitReady(MEMBER_READY_WITHIN);
      }
      case ACTIVE_PAUSE -> {
        target = active.id();
        fault = System.nanoTime();
        active.pause();
        hold(plan.hold());
        active.resume();
        steady.awaitNewTenure(tokenBefore);
      }
      case GRACEFUL_STOP -> {
        target = active.id();
        fault = System.nanoTime();
        active.terminate();
        steady.awaitNewTenure(tokenBefore);
        active.start();
        active.awaitReady(MEMBER_READY_WITHIN);
      }
      case STREAM_LEADER_KILL -> {
        String leader =
            steady
                .streamLeader()
                .orElseThrow(() -> new IllegalStateException("lease stream has no leader"));
        NatsCluster.Node node = cluster.node(leader);
        target = leader;
        fault = System.nanoTime();
        node.kill();
        // Kept down until the group serves calls sent after the crash, then restarted.
        steady.awaitCallSentAfter(fault);
        node.start();
        node.awaitAccepting(NODE_ACCEPTING_WITHIN);
      }
      case ACTIVE_CUT_OFF -> {
        target = active.id();
        fault = System.nanoTime();
        active.links().cut();
        steady.awaitNewTenure(tokenBefore);
        active.links().heal();
      }
      case NODE_SPLIT -> {
        target = NatsCluster.nodeName(plan.node());
        fault = System.nanoTime();
        cluster.isolate(plan.node());
        hold(plan.hold());
        cluster.rejoin(plan.node());
      }
      case NODE_RESTART -> {
        NatsCluster.Node node = cluster.node(plan.node());
        target = node.name();
        fault = System.nanoTime();
        node.stop();
        node.start();
        node.awaitAccepting(NODE_ACCEPTING_WITHIN);
      }
      default -> throw new IllegalStateException("unknown fault " + plan.kind());
    }
    steady.await();
    long healed = System.nanoTime();
    long failover = Failover.nanos(plan.kind(), history.acks(), tokenBefore, fault, healed);
    return new FaultRecord(
        index,
        plan.kind(),
        target,
        tokenBefore,
        fault,
        healed,
        failover,
        load.requireTop().member());
  }

  private MemberProcess member(String id) {
    return members.stream()
        .filter(m -> m.id().equals(id))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("unknown active " + id));
  }

  /** Holds a fault for its planned time: the schedule's own timing, not a wait for a condition. */
  private static void hold(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
