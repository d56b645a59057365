package dev.lifeline.active;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.FakeClock;
import io.grpc.Context;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The election loop on fake time: every timing decision is exact here. */
class ActiveMemberTest {

  private static final GroupId GROUP = GroupId.of("orders", "eu-1");
  private static final ActiveOptions OPTS = ActiveOptions.defaults(); // ttl 1.5 s, hb 400 ms

  private final FakeClock clock = new FakeClock();
  private final InMemoryLeaseStore store = InMemoryLeaseStore.create(clock, clock.clock());
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<ActiveMember> members = new ArrayList<>();

  @AfterEach
  void closeMembers() {
    members.forEach(ActiveMember::close);
  }

  private ActiveMember member(String id, LeaseStore s) {
    return member(id, s, OPTS);
  }

  private ActiveMember member(String id, LeaseStore s, ActiveOptions options) {
    ActiveMember m =
        ActiveMember.builder(GROUP, id, s)
            .address("10.0.0." + (members.size() + 1) + ":50051")
            .options(options)
            .ticker(clock)
            .clock(clock.clock())
            .scheduler(clock.scheduler())
            .meterRegistry(registry)
            .build();
    members.add(m);
    m.start();
    return m;
  }

  @Test
  void firstMemberBecomesActiveAndTheOthersStandby() {
    ActiveMember a = member("a", store);
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    clock.forward(Duration.ofMillis(500));
    assertThat(a.isActive()).isTrue();
    assertThat(b.isActive()).isFalse();
    assertThat(b.role()).isEqualTo(Role.STANDBY);
    assertThat(b.knownActive()).get().extracting(Lease::holderId).isEqualTo("a");
    assertThat(a.fencingToken()).isPresent();
    assertThat(b.fencingToken()).isEmpty();
    assertThat(registry.get("lifeline.active.role").tag("member", "a").gauge().value())
        .isEqualTo(1.0);
    assertThat(
            registry
                .get("lifeline.active.elections")
                .tags("result", "lost", "member", "b")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  @Test
  void heartbeatNotBelowHalfTheTtlIsRejectedNamingBothValues() {
    assertThatThrownBy(
            () ->
                ActiveOptions.builder()
                    .ttl(Duration.ofMillis(1000))
                    .heartbeat(Duration.ofMillis(500))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("heartbeat: PT0.5S")
        .hasMessageContaining("ttl: PT1S");
    assertThatThrownBy(() -> ActiveOptions.builder().ttl(Duration.ofMillis(10)))
        .hasMessage("ttl: PT0.01S (expected: >= 50 ms and <= 5 min)");
  }

  @Test
  void invalidIdsAreRejectedNamingFieldAndValue() {
    assertThatThrownBy(() -> GroupId.of("orders", "eu 1"))
        .hasMessageStartingWith("group: 'eu 1' (expected:");
    assertThatThrownBy(() -> ActiveMember.builder(GROUP, "", store))
        .hasMessageStartingWith("memberId: '' (expected:");
  }

  // Regression: the original's crashed leader kept its key forever (no TTL was ever set).
  @Test
  void crashedActiveIsReplacedOnlyAfterItsLeaseExpires() {
    ControllableStore aStore = new ControllableStore(store);
    ActiveMember a = member("a", aStore);
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    clock.forward(Duration.ofMillis(100));
    assertThat(a.isActive()).isTrue();
    aStore.kill(); // a can no longer reach the store: renewals fail, as after a crash
    clock.forward(Duration.ofMillis(1399)); // t = 1499 ms; a's last write was at t = 0
    assertThat(b.isActive()).as("lease not expired yet").isFalse();
    // b times its attempt from the last write it saw, not from its 400 ms poll grid (which would
    // make it wait until t = 1600 ms).
    clock.forward(Duration.ofMillis(10));
    assertThat(b.isActive()).isTrue();
    assertThat(a.isActive()).isFalse();
    assertThat(b.state().lastFailover()).isPresent();
  }

  @Test
  void standbyTimesTheTakeoverFromTheLastRenewalItWatched() {
    ControllableStore aStore = new ControllableStore(store);
    ActiveMember a = member("a", aStore);
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    clock.forward(Duration.ofMillis(1000)); // a renewed at 400 and 800 ms
    aStore.kill();
    clock.forward(Duration.ofMillis(1299)); // t = 2299 ms; a's last write was at t = 800 ms
    assertThat(b.isActive()).isFalse();
    clock.forward(Duration.ofMillis(10));
    assertThat(b.isActive()).isTrue();
  }

  @Test
  void awaitLeaderCompletesAtOnceWhenAnActiveIsKnownAndHealthy() {
    ActiveMember a = member("a", store);
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    clock.forward(Duration.ofMillis(10));
    assertThat(a.awaitLeader(Duration.ofMillis(500)).toCompletableFuture()).isDone();
    assertThat(b.awaitLeader(Duration.ofMillis(500)).toCompletableFuture()).isDone();
    // Across many renewals a healthy active never looks about to expire.
    for (int i = 0; i < 20; i++) {
      clock.forward(Duration.ofMillis(97));
      assertThat(b.awaitLeader(Duration.ofMillis(500)).toCompletableFuture()).isDone();
    }
  }

  @Test
  void awaitLeaderOnAStandbyWaitsForTheElectionAfterARelease() {
    ActiveMember a = member("a", store);
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    ActiveMember c = member("c", store);
    clock.forward(Duration.ofMillis(10));
    a.close(); // released: b and c compete at once
    CompletableFuture<Void> onC = c.awaitLeader(Duration.ofMillis(500)).toCompletableFuture();
    assertThat(onC).as("nobody holds the lease yet").isNotDone();
    clock.runDueTasks(); // no time passes
    assertThat(onC).isDone();
    ActiveMember winner = b.isActive() ? b : c;
    assertThat(c.knownActive()).get().extracting(Lease::holderId).isEqualTo(winner.id());
  }

  @Test
  void awaitLeaderOnAStandbyWaitsThroughTheLastMomentsOfACrashedActivesLease() {
    ControllableStore aStore = new ControllableStore(store);
    ActiveMember a = member("a", aStore);
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    clock.forward(Duration.ofMillis(100));
    aStore.kill();
    clock.forward(Duration.ofMillis(1000)); // t = 1100 ms: a's lease runs out at 1500 ms
    CompletableFuture<Void> held = b.awaitLeader(Duration.ofMillis(500)).toCompletableFuture();
    assertThat(held).isNotDone();
    clock.forward(Duration.ofMillis(390));
    assertThat(held).isNotDone();
    clock.forward(Duration.ofMillis(20));
    assertThat(held).isDone();
    assertThat(b.isActive()).as("completed because b won, not by timeout").isTrue();
  }

  @Test
  void awaitLeaderGivesUpAfterItsWaitWhenNoElectionEnds() {
    ControllableStore dead = new ControllableStore(store);
    dead.kill();
    ActiveMember lonely = member("a", dead);
    clock.runDueTasks();
    CompletableFuture<Void> held = lonely.awaitLeader(Duration.ofMillis(300)).toCompletableFuture();
    clock.forward(Duration.ofMillis(299));
    assertThat(held).isNotDone();
    clock.forward(Duration.ofMillis(1));
    assertThat(held).isDone();
    assertThat(lonely.awaitLeader(Duration.ZERO).toCompletableFuture()).isDone();
  }

  @Test
  void aMemberRestartedUnderTheSameIdReportsItsOwnRole() {
    ControllableStore aStore = new ControllableStore(store);
    member("a", aStore);
    clock.runDueTasks();
    aStore.kill(); // crashed without close(): its gauge is still registered
    clock.forward(Duration.ofMillis(1600));
    ActiveMember again = member("a", store);
    clock.forward(Duration.ofMillis(10));
    assertThat(again.isActive()).isTrue();
    assertThat(registry.get("lifeline.active.role").tag("member", "a").gauge().value())
        .isEqualTo(1.0);
  }

  @Test
  void activeThatCannotRenewStepsDownBeforeItsLeaseExpiresAnywhere() {
    ControllableStore aStore = new ControllableStore(store);
    ActiveMember a = member("a", aStore);
    clock.runDueTasks();
    Lease lease = store.read(GROUP).orElseThrow();
    List<Role> roles = new ArrayList<>();
    a.addListener((role, token) -> roles.add(role));
    aStore.kill();
    // Last successful renew started at t=0 (acquire); local deadline = 0 + 1.5 s - 0.2 s.
    clock.forward(Duration.ofMillis(1299));
    assertThat(a.isActive()).isTrue();
    clock.forward(Duration.ofMillis(1));
    assertThat(a.isActive()).isFalse();
    assertThat(roles).containsExactly(Role.STANDBY);
    // ... while the store still holds the lease for another 200 ms.
    assertThat(store.read(GROUP)).contains(lease);
    assertThat(registry.get("lifeline.active.stepdowns").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("lifeline.active.renew.failures").counter().count()).isPositive();
  }

  // Regression: the original's leadership monitor died on its first error and never came back.
  @Test
  void memberSurvivesStoreErrorsAndBecomesActiveWhenTheStoreReturns() {
    ControllableStore flaky = new ControllableStore(store);
    flaky.kill();
    ActiveMember a = member("a", flaky);
    clock.forward(Duration.ofSeconds(30));
    assertThat(a.isActive()).as("never falsely active while the store is down").isFalse();
    assertThat(registry.get("lifeline.active.store.errors").counter().count()).isGreaterThan(3);
    flaky.revive();
    clock.forward(Duration.ofSeconds(6)); // max store backoff is 5 s
    assertThat(a.isActive()).isTrue();
  }

  @Test
  void releaseOnCloseLetsAStandbyTakeOverAtOnceWithAHigherToken() {
    ActiveMember a = member("a", store);
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    clock.forward(Duration.ofMillis(10));
    long tokenA = a.fencingToken().orElseThrow();
    a.close();
    clock.runDueTasks(); // no time passes: the watch made b try at once
    assertThat(b.isActive()).isTrue();
    assertThat(b.fencingToken().orElseThrow()).isGreaterThan(tokenA);
    assertThat(b.state().lastFailover()).contains(Duration.ZERO);
  }

  @Test
  void renewalsKeepTheLeaseForeverWhileTheStoreAnswers() {
    ActiveMember a = member("a", store);
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    long token = -1;
    for (int i = 0; i < 50; i++) {
      clock.forward(Duration.ofMillis(400));
      assertThat(a.isActive()).isTrue();
      assertThat(b.isActive()).isFalse();
      if (token < 0) {
        token = a.fencingToken().orElseThrow();
      }
      assertThat(a.fencingToken()).hasValue(token);
    }
    assertThat(a.state().leaseAge()).contains(Duration.ofSeconds(20));
  }

  @Test
  void exclusivePermitsAreRefusedOnStandbyAndCarryTheToken() {
    ActiveMember a = member("a", store);
    ActiveMember b = member("b", store);
    clock.forward(Duration.ofMillis(10));
    assertThat(b.tryEnterExclusive()).isEmpty();
    try (ExclusivePermit p = a.tryEnterExclusive().orElseThrow()) {
      assertThat(p.fencingToken()).isEqualTo(a.fencingToken().orElseThrow());
    }
    ActiveDiagnostics diag = new ActiveDiagnostics().register(a).register(b);
    assertThat(diag.groups().get(GROUP).activeId()).contains("a");
    assertThat(diag.toJson()).contains("\"activeId\":\"a\"").contains("\"fencingToken\":");
  }

  // Regression (issue 13): two live processes under one id were both ACTIVE in 548 of 553 samples,
  // each taking the "own" lease over at once.
  @Test
  void twoLiveMembersUnderOneIdAreNeverActiveTogether() {
    ActiveMember first = member("a", store);
    clock.runDueTasks();
    ActiveMember twin = member("a", store); // a surge deploy, a copied config
    int together = 0;
    for (int i = 0; i < 600; i++) { // 3 s in 5 ms samples
      clock.forward(Duration.ofMillis(5));
      if (first.isActive() && twin.isActive()) {
        together++;
      }
    }
    assertThat(together).as("samples with two actives").isZero();
    assertThat(first.isActive()).as("the first keeps its tenure").isTrue();
    assertThat(twin.knownActive())
        .get()
        .extracting(Lease::holderAddress)
        .isEqualTo("10.0.0.1:50051");
    assertThat(first.incarnation()).isNotEqualTo(twin.incarnation());
  }

  @Test
  void aRestartUnderTheSameIdTakesOverAtOnceOnceTheOldLeaseIsReleased() {
    ActiveMember old = member("a", store);
    clock.runDueTasks();
    ActiveMember restarted = member("a", store);
    clock.forward(Duration.ofMillis(10));
    assertThat(restarted.isActive()).isFalse();
    old.close();
    clock.runDueTasks(); // no time passes: the release is enough
    assertThat(restarted.isActive()).isTrue();
  }

  // Regression (issue 13): the watch ignored leases of the member's own id, so a deposed member
  // whose twin took over kept serving until its next renewal failed.
  @Test
  void anActiveStepsDownWhenTheWatchShowsItsTwinsLease() {
    // The first member's renewals "succeed" without reaching the store, as for a process whose
    // clock stood still while its lease ran out elsewhere.
    ControllableStore frozen =
        new ControllableStore(store) {
          @Override
          public Optional<Lease> renew(Lease lease) {
            return Optional.of(lease);
          }
        };
    ActiveMember first = member("a", frozen);
    clock.runDueTasks();
    ActiveMember twin = member("a", store);
    clock.forward(Duration.ofMillis(1510)); // the store's lease expired; the twin takes over
    assertThat(twin.isActive()).isTrue();
    assertThat(first.isActive()).as("deposed by the twin's lease on the watch").isFalse();
  }

  // Regression (issue 13): acquire accepted any lease of its own id as won, although a lost
  // compare-and-set can show an older lease this call never wrote.
  @Test
  void aLeaseOfItsOwnThatTheAttemptDidNotWriteIsNeverAWin() {
    AtomicInteger attempts = new AtomicInteger();
    ControllableStore lostCas =
        new ControllableStore(store) {
          @Override
          public Acquisition acquire(GroupId g, LeaseHolder h, Duration ttl) {
            attempts.incrementAndGet();
            java.time.Instant t = clock.clock().instant();
            return Acquisition.notWon(Optional.of(new Lease(g, h, 0, 7, 9, t, t, ttl)));
          }
        };
    ActiveMember m = member("a", lostCas);
    clock.forward(Duration.ofSeconds(2));
    assertThat(attempts.get()).isGreaterThan(1);
    assertThat(m.isActive()).isFalse();
    assertThat(m.role()).isEqualTo(Role.STANDBY);
  }

  // Regression (issue 16): on nats-server 2.9.10 (nats-server#4320) two standbys taking over the
  // same expired lease both won, and the watch showed the loser the winner's later write before
  // its own acquire returned. The loser then took office anyway and served beside the winner until
  // its next renewal failed (a 152 ms overlap in a chaos run).
  @Test
  void aWinTheWatchAlreadyShowedSupersededIsNeverATenure() {
    List<Consumer<LeaseEvent>> listeners = new CopyOnWriteArrayList<>();
    AtomicInteger acquires = new AtomicInteger();
    ControllableStore doubleWin =
        new ControllableStore(store) {
          @Override
          public AutoCloseable watch(GroupId g, Consumer<LeaseEvent> listener) {
            listeners.add(listener);
            return super.watch(g, listener);
          }

          @Override
          public Acquisition acquire(GroupId g, LeaseHolder h, Duration ttl) {
            Acquisition mine = super.acquire(g, h, ttl);
            if (acquires.getAndIncrement() == 0 && mine.won()) {
              // A twin compare-and-set, wrongly accepted, lands right after this one's.
              Lease ours = mine.current().orElseThrow();
              java.time.Instant t = clock.clock().instant();
              Lease other =
                  new Lease(
                      g,
                      new LeaseHolder("b", "other-incarnation", "10.0.0.9:50051"),
                      ours.epoch(),
                      ours.token() + 1,
                      ours.revision() + 1,
                      t,
                      t,
                      ttl);
              listeners.forEach(l -> l.accept(LeaseEvent.written(other)));
            }
            return mine;
          }
        };
    List<Role> roles = new CopyOnWriteArrayList<>();
    ActiveMember m = member("a", doubleWin);
    m.addListener((role, token) -> roles.add(role));
    clock.runDueTasks();

    assertThat(acquires.get()).isEqualTo(1);
    assertThat(m.isActive()).as("the store already holds b's later write").isFalse();
    assertThat(m.role()).isEqualTo(Role.STANDBY);
    assertThat(roles).doesNotContain(Role.ACTIVE);
    assertThat(m.knownActive()).map(Lease::holderId).contains("b");
  }

  // Regression (issue 13): tick() caught RuntimeException only, so one AssertionError from the
  // store ended the loop for good (1 acquire call in 3 s, never active).
  @Test
  void anErrorThrownOnceByTheStoreDoesNotEndTheLoop() {
    AtomicInteger calls = new AtomicInteger();
    ControllableStore once =
        new ControllableStore(store) {
          @Override
          public Acquisition acquire(GroupId g, LeaseHolder h, Duration ttl) {
            if (calls.getAndIncrement() == 0) {
              throw new AssertionError("bug in a store");
            }
            return super.acquire(g, h, ttl);
          }
        };
    ActiveMember m = member("a", once);
    clock.forward(Duration.ofSeconds(3));
    assertThat(calls.get()).isGreaterThan(1);
    assertThat(m.isActive()).isTrue();
  }

  // Regression (issue 13): a delete while ACTIVE was ignored, so after an operator's `nats kv del`
  // the old active served beside the new one until its next renewal.
  @Test
  void anOperatorsDeleteMakesTheActiveStepDownAtOnce() {
    ActiveMember a = member("a", store);
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    clock.forward(Duration.ofMillis(10));
    store.release(store.read(GROUP).orElseThrow()); // the operator deletes the key
    assertThat(a.isActive()).as("a right after the delete").isFalse();
    clock.runDueTasks();
    assertThat(b.isActive()).isTrue();
  }

  @Test
  void aReleaseThatTheWatchDeliversLateDoesNotDeposeTheNextHolder() {
    ActiveMember a = member("a", store);
    clock.runDueTasks();
    List<Runnable> late = new ArrayList<>();
    ControllableStore slowWatch =
        new ControllableStore(store) {
          @Override
          public AutoCloseable watch(GroupId g, Consumer<LeaseEvent> listener) {
            return super.watch(g, e -> late.add(() -> listener.accept(e)));
          }
        };
    ActiveMember b = member("b", slowWatch);
    clock.forward(Duration.ofMillis(10));
    a.close();
    clock.forward(Duration.ofMillis(400)); // b's next poll finds the lease free and wins
    assertThat(b.isActive()).isTrue();
    late.forEach(Runnable::run); // ... and then hears of a's release
    assertThat(b.isActive()).as("an event older than b's own lease").isTrue();
  }

  // Regression (issue 13): close() dropped the result of a renewal in flight and released the
  // older revision, which lost its compare-and-set, so the successor waited a whole TTL.
  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void closeDuringARenewalReleasesTheRenewedLease() throws Exception {
    ControllableStore stalling = new ControllableStore(store);
    ActiveMember a = member("a", stalling);
    clock.runDueTasks();
    stalling.stallRenewals();
    Thread renewing = new Thread(() -> clock.forward(Duration.ofMillis(400)), "renewing");
    renewing.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> stalling.renewsStarted() == 1);
    Thread closing = new Thread(a::close, "closing");
    closing.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> closing.getState() == Thread.State.WAITING);
    stalling.unstall();
    renewing.join(5_000);
    closing.join(5_000);
    assertThat(closing.isAlive()).isFalse();
    assertThat(store.read(GROUP)).as("the lease after close").isEmpty();
  }

  // Regression (issue 13): role events were fired outside the lock from different threads, so a
  // late ACTIVE event could arrive after the STANDBY one and leave the health service SERVING.
  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void roleEventsReachListenersInTheOrderTheyHappened() throws Exception {
    ActiveMember a = member("a", store);
    HealthStatusManager health = new HealthStatusManager();
    ActiveHealth.bind(a, health, "lifeline.test.Group");
    List<Role> roles = new CopyOnWriteArrayList<>();
    CountDownLatch inActiveEvent = new CountDownLatch(1);
    CountDownLatch finishActiveEvent = new CountDownLatch(1);
    a.addListener(
        (role, token) -> {
          if (role == Role.ACTIVE) {
            inActiveEvent.countDown();
            try {
              finishActiveEvent.await(10, TimeUnit.SECONDS); // a slow listener
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          roles.add(role);
        });
    Thread electing = new Thread(clock::runDueTasks, "electing");
    electing.start();
    assertThat(inActiveEvent.await(10, TimeUnit.SECONDS)).isTrue();
    // Meanwhile an operator deletes the lease and b takes it: a steps down on this thread.
    store.release(store.read(GROUP).orElseThrow());
    store.acquire(GROUP, new LeaseHolder("b", "b-1", "b:1"), Duration.ofMillis(1500));
    assertThat(a.role()).isEqualTo(Role.STANDBY);
    finishActiveEvent.countDown();
    electing.join(10_000);
    assertThat(roles).containsExactly(Role.ACTIVE, Role.STANDBY);
    assertThat(servingStatus(health)).isEqualTo(ServingStatus.NOT_SERVING);
  }

  private static ServingStatus servingStatus(HealthStatusManager health) throws Exception {
    String name = "health-" + System.nanoTime();
    io.grpc.Server server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(health.getHealthService())
            .build()
            .start();
    io.grpc.ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      return HealthGrpc.newBlockingStub(ch)
          .check(HealthCheckRequest.newBuilder().setService("lifeline.test.Group").build())
          .getStatus();
    } finally {
      ch.shutdownNow();
      server.shutdownNow();
    }
  }

  // Regression (issue 13): after the drain timeout, close() released the lease with calls still
  // running, so a standby took over at once beside them.
  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void closeNeverReleasesTheLeaseWhileAnAdmittedCallRuns() {
    ActiveMember a =
        member("a", store, ActiveOptions.builder().drainTimeout(Duration.ofMillis(50)).build());
    clock.runDueTasks();
    ExclusivePermit running = a.tryEnterExclusive().orElseThrow();
    Context.CancellableContext work = running.newContext(Context.ROOT);
    a.close(); // the drain times out (real time) with the call still running
    assertThat(store.read(GROUP)).as("the lease is left to expire").isPresent();
    assertThat(work.isCancelled()).as("the running call was told its tenure ended").isTrue();
    assertThat(running.isCurrent()).isFalse();
    running.close();
  }

  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aGracefulCloseKeepsRenewingWhileItDrainsThenHandsOverAtOnce() throws Exception {
    ActiveMember a =
        member("a", store, ActiveOptions.builder().drainTimeout(Duration.ofSeconds(30)).build());
    clock.runDueTasks();
    ActiveMember b = member("b", store);
    clock.forward(Duration.ofMillis(10));
    ExclusivePermit running = a.tryEnterExclusive().orElseThrow();
    Thread closing = new Thread(a::close, "closing");
    closing.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> a.role() == Role.STANDBY);
    assertThat(a.isActive()).as("no new admissions while draining").isFalse();
    assertThat(a.tryEnterExclusive()).isEmpty();
    clock.forward(Duration.ofSeconds(3)); // two TTLs: only renewals keep the lease
    assertThat(b.isActive()).as("the lease stays with the draining member").isFalse();
    assertThat(running.isCurrent()).isTrue();
    running.close();
    closing.join(5_000);
    clock.runDueTasks();
    assertThat(b.isActive()).isTrue();
  }
}
