package dev.lifeline.active;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.testing.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
    ActiveMember m =
        ActiveMember.builder(GROUP, id, s)
            .address("10.0.0." + (members.size() + 1) + ":50051")
            .options(OPTS)
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
        .hasMessage("ttl: PT0.01S (expected: >= PT0.05S and <= PT5M)");
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
}
