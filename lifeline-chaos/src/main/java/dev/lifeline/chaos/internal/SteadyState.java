package dev.lifeline.chaos.internal;

import dev.lifeline.testing.HistoryChecker;
import dev.lifeline.testing.HistoryChecker.Ack;
import dev.lifeline.testing.NatsCluster;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.api.ClusterInfo;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Whether the system is in a steady state, and the bounded waits for it and for the milestones of a
 * fault (a new tenure, a call served after the fault). A steady state: every NATS node runs, the
 * lease stream has a leader and every replica is current, every member serves, and calls are being
 * acknowledged by the holder of the top token. The decisions are pure static functions; the rest
 * gathers their inputs. Thread-safe: it only reads thread-safe state, though one thread drives it.
 */
final class SteadyState {

  /** How long any wait of the run may take before the group counts as not recovered. */
  static final Duration WITHIN = Duration.ofSeconds(90);

  /** How long after the wait began a call must be acknowledged to show the group serves again. */
  static final long SERVING_AFTER_NANOS = 200_000_000L;

  /** How many of the latest acknowledgements are searched for that call. */
  static final int RECENT_ACKS = 50;

  /**
   * A replica of the lease stream as the monitor sees it.
   *
   * @param name the node
   * @param current whether it has caught up with the leader
   * @param offline whether the leader lost it
   */
  record Replica(String name, boolean current, boolean offline) {}

  private final NatsCluster cluster;
  private final Connection monitor;
  private final String stream;
  private final List<MemberProcess> members;
  private final HistoryChecker history;
  private final ClientLoad load;
  private final Path logs;

  SteadyState(
      NatsCluster cluster,
      Connection monitor,
      String bucket,
      List<MemberProcess> members,
      HistoryChecker history,
      ClientLoad load,
      Path logs) {
    this.cluster = cluster;
    this.monitor = monitor;
    this.stream = "KV_" + bucket;
    this.members = List.copyOf(members);
    this.history = history;
    this.load = load;
    this.logs = logs;
  }

  // ---- decisions ---------------------------------------------------------------------------

  /**
   * Whether the lease stream is healthy: every one of the {@code nodes} NATS nodes runs, and the
   * stream has a leader and {@code nodes - 1} replicas, each current and online.
   */
  static boolean streamHealthy(
      boolean everyNodeRuns, int nodes, @Nullable String leader, List<Replica> replicas) {
    return everyNodeRuns
        && leader != null
        && replicas.size() == nodes - 1
        && replicas.stream().allMatch(r -> r.current() && !r.offline());
  }

  /**
   * Whether the group serves again: one of the latest {@link #RECENT_ACKS} acknowledgements carries
   * the top token and came more than {@link #SERVING_AFTER_NANOS} after {@code since}.
   */
  static boolean serving(List<Ack> acks, @Nullable Ack top, long since) {
    if (top == null) {
      return false;
    }
    for (int i = acks.size() - 1; i >= 0 && i >= acks.size() - RECENT_ACKS; i--) {
      Ack a = acks.get(i);
      if (a.token() == top.token() && a.ackedNanos() - since > SERVING_AFTER_NANOS) {
        return true;
      }
    }
    return false;
  }

  /** Whether the latest acknowledged call was sent after {@code fault}. */
  static boolean servedCallSentAfter(List<Ack> acks, long fault) {
    return !acks.isEmpty() && acks.get(acks.size() - 1).sentNanos() > fault;
  }

  // ---- waits -------------------------------------------------------------------------------

  /**
   * Waits for a steady state.
   *
   * @throws IllegalStateException describing the stream and the members, if none came within {@link
   *     #WITHIN}
   */
  void await() {
    long since = System.nanoTime();
    try {
      Awaitility.await("steady state (logs in " + logs + ")")
          .atMost(WITHIN)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () ->
                  streamHealthy()
                      && members.stream().allMatch(MemberProcess::isServing)
                      && serving(history.acks(), load.top().orElse(null), since));
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(
          "no steady state within "
              + WITHIN
              + ": stream "
              + streamState()
              + ", members "
              + members.stream().map(m -> m.id() + "=" + m.isServing()).toList()
              + " (logs in "
              + logs
              + ")",
          e);
    }
  }

  /** Waits for a call acknowledged with a token above {@code token}: a new tenure. */
  void awaitNewTenure(long token) {
    await("a new active after the fault", () -> load.requireTop().token() > token);
  }

  /** Waits for an acknowledged call that was sent after {@code fault}. */
  void awaitCallSentAfter(long fault) {
    await(
        "a call sent after the fault acknowledged",
        () -> servedCallSentAfter(history.acks(), fault));
  }

  private void await(String what, Callable<Boolean> condition) {
    try {
      Awaitility.await(what + " (logs in " + logs + ")")
          .atMost(WITHIN)
          .pollInterval(Duration.ofMillis(5))
          .until(condition);
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  // ---- the lease stream --------------------------------------------------------------------

  /** The node leading the lease stream now, if the monitor can tell. */
  Optional<String> streamLeader() {
    return streamInfo().map(StreamInfo::getClusterInfo).map(ClusterInfo::getLeader);
  }

  private Optional<StreamInfo> streamInfo() {
    try {
      JetStreamManagement jsm =
          monitor.jetStreamManagement(
              JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(1)).build());
      return Optional.of(jsm.getStreamInfo(stream));
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private boolean streamHealthy() {
    boolean everyNodeRuns = true;
    for (int i = 0; i < cluster.size(); i++) {
      everyNodeRuns &= cluster.node(i).isRunning();
    }
    if (!everyNodeRuns) {
      return false;
    }
    Optional<ClusterInfo> ci = streamInfo().map(StreamInfo::getClusterInfo);
    return ci.isPresent()
        && streamHealthy(true, cluster.size(), ci.get().getLeader(), replicas(ci.get()));
  }

  private static List<Replica> replicas(ClusterInfo ci) {
    return ci.getReplicas() == null
        ? List.of()
        : ci.getReplicas().stream()
            .map(r -> new Replica(r.getName(), r.isCurrent(), r.isOffline()))
            .toList();
  }

  private String streamState() {
    return streamInfo()
        .map(StreamInfo::getClusterInfo)
        .map(
            ci ->
                "leader "
                    + ci.getLeader()
                    + ", replicas "
                    + replicas(ci).stream()
                        .map(
                            r ->
                                r.name()
                                    + (r.current() ? " current" : " behind")
                                    + (r.offline() ? " offline" : ""))
                        .toList())
        .orElse("unavailable");
  }
}
