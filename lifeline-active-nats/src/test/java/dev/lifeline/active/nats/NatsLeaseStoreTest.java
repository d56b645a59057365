package dev.lifeline.active.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseStoreException;
import dev.lifeline.active.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The lease operations against a real nats-server 2.9 (no per-message TTL). */
class NatsLeaseStoreTest {

  private static final GroupId GROUP = GroupId.of("orders", "eu-1");
  private static final Duration TTL = Duration.ofMillis(600);
  private static NatsServerProcess nats;
  private static int counter;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final String bucket = "s" + (++counter);

  @BeforeAll
  static void startNats() {
    nats = NatsServerProcess.start();
  }

  @AfterAll
  static void stopNats() {
    nats.close();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private NatsLeaseStore store() {
    return store(nats.url());
  }

  private NatsLeaseStore store(String url) {
    NatsLeaseStore s =
        // Generous: these tests check outcomes, not latency, on a shared loaded machine.
        NatsLeaseStore.builder(url).bucket(bucket).requestTimeout(Duration.ofSeconds(3)).build();
    toClose.add(s);
    await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> s.read(GROUP) != null);
    return s;
  }

  @Test
  void acquireIsCreateIfAbsentAndTheSecondHolderGetsTheFirstOnesLease() {
    NatsLeaseStore a = store();
    NatsLeaseStore b = store();
    Lease la = a.acquire(GROUP, "a", "127.0.0.1:1", TTL).orElseThrow();
    assertThat(la.heldBy("a")).isTrue();
    Optional<Lease> lb = b.acquire(GROUP, "b", "127.0.0.1:2", TTL);
    assertThat(lb).get().extracting(Lease::holderId).isEqualTo("a");
    assertThat(lb.get().holderAddress()).isEqualTo("127.0.0.1:1");
    assertThat(lb.get().token()).isEqualTo(la.token());
  }

  // Regression: the original refreshed its heartbeat with get-then-put, not compare-and-set.
  @Test
  void renewIsCompareAndSetOnTheRevision() {
    NatsLeaseStore a = store();
    Lease la = a.acquire(GROUP, "a", "", TTL).orElseThrow();
    Lease renewed = a.renew(la).orElseThrow();
    assertThat(renewed.revision()).isGreaterThan(la.revision());
    assertThat(renewed.token()).isEqualTo(la.token());
    // Renewing the stale copy must fail: someone (here: ourselves) wrote in between.
    assertThat(a.renew(la)).isEmpty();
    assertThat(a.renew(renewed)).isPresent();
  }

  @Test
  void releaseDeletesAtRevisionAndWatchersLearnAtOnce() throws Exception {
    NatsLeaseStore a = store();
    NatsLeaseStore b = store();
    List<Optional<Lease>> events = new CopyOnWriteArrayList<>();
    toClose.add(b.watch(GROUP, events::add));
    Lease la = a.acquire(GROUP, "a", "", TTL).orElseThrow();
    Lease renewed = a.renew(la).orElseThrow();
    assertThat(a.release(la)).as("release at a stale revision").isFalse();
    assertThat(a.release(renewed)).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> events.contains(Optional.empty()));
    Lease lb = b.acquire(GROUP, "b", "", TTL).orElseThrow();
    assertThat(lb.heldBy("b")).isTrue();
    assertThat(lb.token()).as("tokens only grow").isGreaterThan(renewed.revision());
  }

  // Regression: the original never set a TTL, so a crashed leader's key never expired.
  @Test
  void aCrashedHoldersLeaseExpiresAfterTheTtlAndOnlyThen() {
    NatsLeaseStore a = store();
    NatsLeaseStore b = store();
    Lease la = a.acquire(GROUP, "a", "", TTL).orElseThrow();
    long t0 = System.nanoTime();
    // "a" crashes: no more renewals. "b" keeps trying.
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> b.acquire(GROUP, "b", "", TTL).map(l -> l.heldBy("b")).orElse(false));
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(tookMs).isGreaterThanOrEqualTo(TTL.toMillis()).isLessThan(TTL.toMillis() + 2000);
    assertThat(a.renew(la)).as("the crashed holder cannot come back with its old lease").isEmpty();
    assertThat(b.read(GROUP)).get().extracting(Lease::holderId).isEqualTo("b");
  }

  @Test
  void memberStaysStandbyAndRetriesWhileNatsIsUnreachable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    NatsLeaseStore unreachable =
        NatsLeaseStore.builder("nats://127.0.0.1:" + port)
            .bucket(bucket)
            .requestTimeout(Duration.ofMillis(200))
            .build();
    toClose.add(unreachable);
    assertThatThrownBy(() -> unreachable.read(GROUP))
        .isInstanceOf(LeaseStoreException.class)
        .hasMessageContaining("not connected");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ActiveMember m =
        ActiveMember.builder(GROUP, "m1", unreachable)
            .meterRegistry(registry)
            .options(
                ActiveOptions.builder()
                    .ttl(TTL)
                    .heartbeat(Duration.ofMillis(100))
                    .maxStoreBackoff(Duration.ofMillis(200))
                    .build())
            .build();
    toClose.add(m);
    m.start();
    long end = System.nanoTime() + Duration.ofMillis(800).toNanos();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              assertThat(m.isActive()).isFalse();
              assertThat(m.role()).isEqualTo(Role.STANDBY);
              return System.nanoTime() > end;
            });
    // It kept retrying (with backoff) rather than giving up after the first error.
    assertThat(registry.get("lifeline.active.store.errors").counter().count())
        .isGreaterThanOrEqualTo(2);
  }

  @Test
  void builderRejectsBadInput() {
    assertThatThrownBy(() -> NatsLeaseStore.builder("http://x"))
        .hasMessage("url: 'http://x' (expected: nats://host:port)");
    assertThatThrownBy(() -> NatsLeaseStore.builder("nats://x").bucket("a.b"))
        .hasMessageContaining("bucket: 'a.b'");
    assertThatThrownBy(() -> NatsLeaseStore.builder("nats://x").requestTimeout(Duration.ZERO))
        .hasMessageContaining("requestTimeout: PT0S");
  }
}
