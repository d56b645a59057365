package dev.lifeline.active;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.grpc.NotActive;
import dev.lifeline.grpc.StickyGroupChannel;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Group behaviour on real time, real Netty servers and a real store; subclasses pick the store.
 * Every test runs load against all members and ends with the no-overlap check.
 */
public abstract class AbstractGroupFailoverTest {

  /** Short enough to keep the suite fast, long enough for two loaded cores. */
  protected static final ActiveOptions OPTIONS =
      ActiveOptions.builder()
          .ttl(Duration.ofMillis(1000))
          .heartbeat(Duration.ofMillis(200))
          .safetyMargin(Duration.ofMillis(250))
          .maxStoreBackoff(Duration.ofMillis(500))
          .build();

  protected GroupCluster cluster;
  private StickyGroupChannel sticky;
  private final List<Thread> loaders = new ArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  protected final List<String> clientFailures = Collections.synchronizedList(new ArrayList<>());
  protected final AtomicInteger clientSuccesses = new AtomicInteger();
  protected final AtomicReference<String> lastServedBy = new AtomicReference<>();
  protected final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /** A new store for one member (each member gets its own, as separate processes would). */
  protected abstract LeaseStore newStore();

  @BeforeEach
  void startCluster() {
    cluster = new GroupCluster(this::newStore, OPTIONS);
    // The sticky client knows a static member list, so every member that will ever serve exists
    // from the start; failovers only remove members.
    for (int i = 0; i < 5; i++) {
      cluster.add();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.active().isPresent());
  }

  @AfterEach
  void stopCluster() throws InterruptedException {
    stop.set(true);
    for (Thread t : loaders) {
      t.join(10_000);
    }
    if (sticky != null) {
      sticky.close();
    }
    cluster.close();
  }

  private StickyGroupChannel sticky() {
    if (sticky == null) {
      StickyGroupChannel.Builder b =
          StickyGroupChannel.builder("test")
              .callPolicy(StickyGroupChannel.defaultPolicy("test").meterRegistry(registry).build())
              .traceRouting(true);
      for (GroupCluster.Node n : cluster.nodes) {
        b.member(n.address, cluster.channelTo(n));
      }
      sticky = b.build();
    }
    return sticky;
  }

  /** A client calling through the sticky channel with a deadline that covers a failover. */
  protected void startStickyClient() {
    Channel ch = sticky();
    Thread t =
        new Thread(
            () -> {
              long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
              for (int i = 0; i < 100_000 && !stop.get() && System.nanoTime() < end; i++) {
                try {
                  String r =
                      ClientCalls.blockingUnaryCall(
                          ch,
                          TestGroupService.PROCESS,
                          CallOptions.DEFAULT.withDeadlineAfter(8, TimeUnit.SECONDS),
                          "order-" + i);
                  lastServedBy.set(r.substring(0, r.indexOf(':')));
                  clientSuccesses.incrementAndGet();
                } catch (StatusRuntimeException e) {
                  if (!stop.get()) {
                    clientFailures.add(e.getStatus().toString());
                  }
                }
              }
            },
            "sticky-client");
    loaders.add(t);
    t.start();
  }

  /** A prober hitting every live member directly, so that two actives would both record calls. */
  protected void startProber() {
    Thread t =
        new Thread(
            () -> {
              long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
              for (int i = 0; i < 200_000 && !stop.get() && System.nanoTime() < end; i++) {
                List<GroupCluster.Node> nodes = cluster.live();
                if (nodes.isEmpty()) {
                  continue;
                }
                GroupCluster.Node n = nodes.get(i % nodes.size());
                try {
                  ClientCalls.blockingUnaryCall(
                      channelFor(n),
                      TestGroupService.PROCESS,
                      CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.SECONDS),
                      "probe");
                } catch (StatusRuntimeException expected) {
                  // Standbys answer NOT_ACTIVE and crashed members UNAVAILABLE.
                }
              }
            },
            "prober");
    loaders.add(t);
    t.start();
  }

  private final java.util.Map<String, Channel> probeChannels =
      new java.util.concurrent.ConcurrentHashMap<>();

  private Channel channelFor(GroupCluster.Node n) {
    return probeChannels.computeIfAbsent(n.id, k -> cluster.channelTo(n));
  }

  /** The active member, once there is one (a loaded machine may make one step down briefly). */
  protected GroupCluster.Node awaitActive() {
    return await()
        .atMost(Duration.ofSeconds(10))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(2))
        .until(() -> cluster.active(), java.util.Optional::isPresent)
        .orElseThrow();
  }

  private void awaitClientServedBy(GroupCluster.Node n, Duration within) {
    await()
        .atMost(within)
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(2))
        .until(() -> n.id.equals(lastServedBy.get()));
  }

  @Test
  void exactlyOneMemberIsActiveAndStandbysAnswerNotActiveWithALeaderHint() {
    GroupCluster.Node active = cluster.active().orElseThrow();
    GroupCluster.Node standby = cluster.live().stream().filter(n -> n != active).findFirst().get();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> standby.member.knownActive().map(l -> l.heldBy(active.id)).orElse(false));

    StatusRuntimeException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            StatusRuntimeException.class,
            () ->
                ClientCalls.blockingUnaryCall(
                    cluster.channelTo(standby),
                    TestGroupService.PROCESS,
                    CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                    "x"));
    assertThat(NotActive.isNotActive(e)).isTrue();
    assertThat(e.getStatus().getDescription()).startsWith("NOT_ACTIVE");
    NotActive.Hint hint = NotActive.hint(e.getTrailers());
    assertThat(hint.activeId()).contains(active.id);
    assertThat(hint.activeAddress()).contains(active.address);

    // Shared methods are served by any member.
    assertThat(
            ClientCalls.blockingUnaryCall(
                cluster.channelTo(standby),
                TestGroupService.STATS,
                CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                ""))
        .isEqualTo(standby.id);

    // Health: SERVING on the active, NOT_SERVING on the standby.
    assertThat(health(active)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(health(standby)).isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
  }

  private HealthCheckResponse.ServingStatus health(GroupCluster.Node n) {
    return HealthGrpc.newBlockingStub(cluster.channelTo(n))
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService("lifeline.test.Group").build())
        .getStatus();
  }

  @Test
  void gracefulHandoverReachesTheNewActiveQuicklyWithoutFailedCalls() {
    startStickyClient();
    startProber();
    for (int round = 0; round < 3; round++) {
      GroupCluster.Node old = awaitActive();
      awaitClientServedBy(old, Duration.ofSeconds(10));
      long t0 = System.nanoTime();
      // The handover itself: step down, drain, release. The server stops afterwards.
      old.member.close();
      await()
          .atMost(Duration.ofSeconds(5))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(1))
          .until(() -> lastServedBy.get() != null && !lastServedBy.get().equals(old.id));
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      old.stopGracefully();
      System.out.printf(
          "FIGURE %s graceful handover: client on new active after %d ms%n",
          getClass().getSimpleName(), tookMs);
      // Typically 5-30 ms here (target 100 ms, measured by the bench): the old active holds the
      // calls it gets until the successor is known, and the client asks another member at once
      // instead of backing off. The bound is functional: faster than the lease could expire (TTL
      // 1 s), so the handover went through the release. (A CI run once took 2.4 s: the client's
      // channel to a restarted member sat in grpc's reconnect backoff; the client now reconnects
      // such a member before sending to it.)
      assertThat(tookMs).as("graceful handover round %d", round).isLessThan(1000);
    }
    assertThat(clientFailures).isEmpty();
    cluster.checker.assertNoOverlap();
    assertThat(cluster.checker.membersSeen()).hasSizeGreaterThanOrEqualTo(3);
  }

  @Test
  void crashedActiveIsReplacedWithinTtlPlusHalfASecondWithoutFailedCalls() {
    startStickyClient();
    startProber();
    for (int round = 0; round < 2; round++) {
      GroupCluster.Node old = awaitActive();
      awaitClientServedBy(old, Duration.ofSeconds(10));
      long t0 = System.nanoTime();
      old.crash();
      await()
          .atMost(Duration.ofSeconds(5))
          .pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(2))
          .until(() -> cluster.active().isPresent());
      long electedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      GroupCluster.Node next = awaitActive();
      awaitClientServedBy(next, Duration.ofSeconds(5));
      long servedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      System.out.printf(
          "FIGURE %s crash (ttl 1 s): new active after %d ms, client served after %d ms%n",
          getClass().getSimpleName(), electedMs, servedMs);
      // Target: ttl (1 s) + 0.5 s; typically about 1 s. Asserted with room for a loaded machine,
      // but well below what the heartbeat-paced polling and blind client backoff used to need.
      assertThat(electedMs).as("new active elected after crash").isLessThan(2000);
      assertThat(servedMs).as("client served by new active after crash").isLessThan(2500);
      assertThat(next.member.state().lastFailover()).isPresent();
    }
    assertThat(clientFailures).isEmpty();
    assertThat(registry.find("lifeline.sticky.failover.latency").timer().count()).isPositive();
    cluster.checker.assertNoOverlap();
  }

  @Test
  void stalledActiveStepsDownBeforeAnotherMemberServes() {
    startProber();
    GroupCluster.Node old = awaitActive();
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.checker.size() > 0);
    old.store.stallRenewals();
    await().atMost(Duration.ofSeconds(5)).until(() -> !old.member.isActive());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> cluster.live().stream().anyMatch(n -> n != old && n.member.isActive()));
    int before = cluster.checker.size();
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.checker.size() > before + 5);
    old.store.unstall();
    // The stalled renewal lands late or loses the compare-and-set: the old member stays STANDBY.
    await().atMost(Duration.ofSeconds(5)).until(() -> old.member.role() == Role.STANDBY);
    int after = cluster.checker.size();
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.checker.size() > after + 5);
    assertThat(old.member.isActive()).isFalse();
    assertThat(old.member.state().stepDowns()).isGreaterThanOrEqualTo(1);
    cluster.checker.assertNoOverlap();
  }

  @Test
  void manyFailoversOfEveryKindNeverOverlap() {
    startStickyClient();
    startProber();
    for (int round = 0; round < 4; round++) {
      GroupCluster.Node old = awaitActive();
      await().atMost(Duration.ofSeconds(10)).until(() -> old.id.equals(lastServedBy.get()));
      if (round % 2 == 0) {
        old.crash();
      } else {
        old.stopGracefully();
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> cluster.active().filter(n -> n != old).isPresent());
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> clientSuccesses.get() > 10);
    assertThat(clientFailures).isEmpty();
    cluster.checker.assertNoOverlap();
    assertThat(cluster.checker.membersSeen()).hasSizeGreaterThanOrEqualTo(4);
  }
}
