package dev.lifeline.active.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.active.Acquisition;
import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import dev.lifeline.active.LeaseStoreException;
import dev.lifeline.active.Role;
import dev.lifeline.active.nats.internal.LeaseCodec;
import dev.lifeline.testing.FakeClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
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

  private static final LeaseHolder A = new LeaseHolder("a", "a-1", "127.0.0.1:1");
  private static final LeaseHolder B = new LeaseHolder("b", "b-1", "127.0.0.1:2");

  private static Lease won(Acquisition a) {
    assertThat(a.won()).as("won: %s", a).isTrue();
    return a.current().orElseThrow();
  }

  @Test
  void acquireIsCreateIfAbsentAndTheSecondHolderGetsTheFirstOnesLease() {
    NatsLeaseStore a = store();
    NatsLeaseStore b = store();
    Lease la = won(a.acquire(GROUP, A, TTL));
    assertThat(la.heldBy(A)).isTrue();
    Acquisition second = b.acquire(GROUP, B, TTL);
    assertThat(second.won()).isFalse();
    Optional<Lease> lb = second.current();
    assertThat(lb).get().extracting(Lease::holderId).isEqualTo("a");
    assertThat(lb.get().holderAddress()).isEqualTo("127.0.0.1:1");
    assertThat(lb.get().token()).isEqualTo(la.token());
  }

  // Regression: the original refreshed its heartbeat with get-then-put, not compare-and-set.
  @Test
  void renewIsCompareAndSetOnTheRevision() {
    NatsLeaseStore a = store();
    Lease la = won(a.acquire(GROUP, A, TTL));
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
    List<LeaseEvent> events = new CopyOnWriteArrayList<>();
    toClose.add(b.watch(GROUP, events::add));
    Lease la = won(a.acquire(GROUP, A, TTL));
    Lease renewed = a.renew(la).orElseThrow();
    assertThat(a.release(la)).as("release at a stale revision").isFalse();
    assertThat(a.release(renewed)).isTrue();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> events.stream().anyMatch(e -> e.lease().isEmpty()));
    LeaseEvent deleted = events.stream().filter(e -> e.lease().isEmpty()).findFirst().get();
    assertThat(deleted.isAfter(renewed)).as("the delete carries its own revision").isTrue();
    Lease lb = won(b.acquire(GROUP, B, TTL));
    assertThat(lb.heldBy(B)).isTrue();
    assertThat(lb.token()).as("tokens only grow").isGreaterThan(renewed.token());
  }

  // Regression: the original never set a TTL, so a crashed leader's key never expired.
  @Test
  void aCrashedHoldersLeaseExpiresAfterTheTtlAndOnlyThen() {
    NatsLeaseStore a = store();
    NatsLeaseStore b = store();
    Lease la = won(a.acquire(GROUP, A, TTL));
    long t0 = System.nanoTime();
    // "a" crashes: no more renewals. "b" keeps trying.
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> b.acquire(GROUP, B, TTL).won());
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
    assertThatThrownBy(() -> NatsLeaseStore.builder("http://u:SECRET@x"))
        .hasMessage("server: 'http://***@x' (expected: nats://host:port or tls://host:port)");
    assertThatThrownBy(() -> NatsLeaseStore.builder()).hasMessageStartingWith("servers: []");
    assertThatThrownBy(() -> NatsLeaseStore.builder("nats://x").bucket("a.b"))
        .hasMessageContaining("bucket: 'a.b'");
    assertThatThrownBy(() -> NatsLeaseStore.builder("nats://x").requestTimeout(Duration.ZERO))
        .hasMessageContaining("requestTimeout: PT0S");
  }

  // ---- the bucket defends its invariants (issue 13) -----------------------------------------

  private Connection raw() throws Exception {
    Connection c = Nats.connect(nats.url());
    toClose.add(c::close);
    return c;
  }

  // Regression (issue 13): an existing bucket was used as it was; with a max age shorter than the
  // TTL, JetStream aged the live lease out and two members were ACTIVE for 1.4 s.
  @Test
  void aPreExistingBucketWithAMaxAgeOrLongHistoryIsRefusedNamingTheSettings() throws Exception {
    raw()
        .keyValueManagement()
        .create(
            KeyValueConfiguration.builder()
                .name(bucket)
                .maxHistoryPerKey(5)
                .ttl(Duration.ofSeconds(1))
                .storageType(StorageType.File)
                .build());
    NatsLeaseStore s =
        NatsLeaseStore.builder(nats.url())
            .bucket(bucket)
            .requestTimeout(Duration.ofSeconds(3))
            .build();
    toClose.add(s);
    assertThatThrownBy(() -> s.acquire(GROUP, A, TTL))
        .isInstanceOf(LeaseStoreException.class)
        .hasMessageContaining("NATS bucket " + bucket + " refused")
        .hasMessageContaining("history: 5 (expected: 1)")
        .hasMessageContaining("max age: PT1S (expected: none");
  }

  // Regression (issue 13): a malformed value made every acquire throw, so nobody ever became
  // active.
  @Test
  void aMalformedValueIsAForeignLeaseThatExpiresByTheTtl() throws Exception {
    FakeClock clock = new FakeClock();
    NatsLeaseStore s =
        NatsLeaseStore.builder(nats.url())
            .bucket(bucket)
            .requestTimeout(Duration.ofSeconds(3))
            .ticker(clock)
            .build();
    toClose.add(s);
    await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> s.read(GROUP) != null);
    raw().keyValue(bucket).put(LeaseCodec.key(GROUP), "written by some other tool");

    Acquisition first = s.acquire(GROUP, A, TTL);
    assertThat(first.won()).isFalse();
    assertThat(first.current()).get().extracting(Lease::readable).isEqualTo(false);
    clock.forward(TTL.minusMillis(1));
    assertThat(s.acquire(GROUP, A, TTL).won()).as("not expired yet").isFalse();
    clock.forward(Duration.ofMillis(1));
    assertThat(s.acquire(GROUP, A, TTL).won()).as("expired after one TTL").isTrue();
  }

  // Regression (issue 13): a recreated bucket restarted revisions at 1, so tokens went backwards.
  @Test
  void aBucketRecreatedUnderARunningStoreIsNotRecreatedByItAndTokensKeepGrowing() throws Exception {
    NatsLeaseStore s = store();
    Lease old = won(s.acquire(GROUP, A, TTL));
    for (int i = 0; i < 5; i++) {
      old = s.renew(old).orElseThrow();
    }
    KeyValueManagement kvm = raw().keyValueManagement();
    kvm.delete(bucket);

    assertThat(s.renew(old)).as("the lease went with the bucket").isEmpty();
    assertThatThrownBy(() -> s.acquire(GROUP, A, TTL))
        .isInstanceOf(LeaseStoreException.class)
        .hasMessageContaining("is gone");
    assertThat(kvm.getBucketNames())
        .as("not created again by a running store")
        .doesNotContain(bucket);

    kvm.create(
        KeyValueConfiguration.builder()
            .name(bucket)
            .maxHistoryPerKey(1)
            .storageType(StorageType.File)
            .build());
    Lease fresh = won(s.acquire(GROUP, B, TTL));
    assertThat(fresh.token()).as("token after the recreation").isGreaterThan(old.token());
    assertThat(fresh.epoch()).isGreaterThan(old.epoch());
    assertThat(s.renew(old)).as("a lease of the old bucket is void").isEmpty();
    assertThat(s.release(old)).isFalse();
    assertThat(s.read(GROUP)).contains(fresh);
  }

  // Found by the chaos run (issue 16): after a stream leader is killed, nats-server 2.9 can lose
  // writes it acknowledged and hand their revisions out again, so the next lease carried a token
  // no higher than one already used downstream. Here the server is rolled back for real: its store
  // directory is restored from a copy taken before the lost writes.
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aLeaseWonAfterTheServerLostAcknowledgedWritesStillCarriesAHigherToken() throws Exception {
    try (NatsServerProcess own = NatsServerProcess.start()) {
      NatsLeaseStore x = store(own.url());
      NatsLeaseStore y = store(own.url());
      won(x.acquire(GROUP, A, TTL));

      own.stop();
      Path before = Files.createTempDirectory("lifeline-nats-before-");
      copyTree(own.storeDir(), before);
      own.startProcess();
      Lease held = awaitLease(x);
      assertThat(x.release(held)).isTrue();
      Lease used = won(awaitAcquire(y, B));

      // The server forgets the release and y's lease: x's old lease is back, at a lower revision.
      own.stop();
      copyTree(before, own.storeDir());
      own.startProcess();
      Lease next =
          await()
              .atMost(Duration.ofSeconds(20))
              .pollInterval(Duration.ofMillis(50))
              .ignoreExceptions()
              .until(() -> y.acquire(GROUP, B, TTL), Acquisition::won)
              .current()
              .orElseThrow();
      assertThat(next.token())
          .as("token after the rollback, against %s used before it", used.token())
          .isGreaterThan(used.token());
    }
  }

  // Found by the chaos run (issue 16): nats-server before 2.9.21 (nats-server#4320) accepts two
  // compare-and-set writes of the same expected revision, so two standbys both won an expired
  // lease and both served for half a second, until the loser's next renewal failed. Here the
  // second write lands right behind the first one's win, as it does on such a server.
  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aWinWithAnotherWriteRightBehindItIsNoWin() throws Exception {
    NatsLeaseStore a = store();
    try (Connection raw = Nats.connect(nats.url())) {
      KeyValue kv = raw.keyValue(bucket);
      a.afterWinForTesting =
          () -> {
            Instant now = Instant.now();
            try {
              kv.put(LeaseCodec.key(GROUP), LeaseCodec.encode(B, 0, now, now, TTL));
            } catch (IOException | JetStreamApiException e) {
              throw new IllegalStateException(e);
            }
          };
      Acquisition first = a.acquire(GROUP, A, TTL);

      assertThat(first.won()).as("a's write was superseded before acquire returned").isFalse();
      assertThat(first.current()).get().extracting(Lease::holderId).isEqualTo("b");
    }
  }

  private static Lease awaitLease(NatsLeaseStore s) {
    return await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> s.read(GROUP), Optional::isPresent)
        .orElseThrow();
  }

  private static Acquisition awaitAcquire(NatsLeaseStore s, LeaseHolder h) {
    return await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> s.acquire(GROUP, h, TTL), Acquisition::won);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else if (!f.getFileName().toString().equals("server.log")) {
          Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  // Regression (issue 13): a CLOSED connection (jnats closes it after the same authentication
  // error twice while reconnecting) was kept for good, so the store failed until a restart.
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aConnectionTheClientClosedForGoodIsReplaced() throws Exception {
    try (NatsServerProcess auth = NatsServerProcess.start("--user", "u", "--pass", "right")) {
      NatsLeaseStore s =
          NatsLeaseStore.builder("nats://127.0.0.1:" + auth.port())
              .userInfo("u", "right".toCharArray())
              .bucket(bucket)
              .requestTimeout(Duration.ofSeconds(2))
              .reconnectWait(Duration.ofMillis(50))
              .build();
      toClose.add(s);
      await().ignoreExceptions().atMost(Duration.ofSeconds(5)).until(() -> s.read(GROUP) != null);
      auth.stop();
      auth.startProcess("--user", "u", "--pass", "changed");
      // jnats gives up on the connection after the same authentication error twice; the store
      // then tries a new connection, which the server refuses too.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> failureOf(s).contains("Authorization Violation"));
      auth.stop();
      auth.startProcess("--user", "u", "--pass", "right");
      await().ignoreExceptions().atMost(Duration.ofSeconds(10)).until(() -> s.read(GROUP) != null);
    }
  }

  private static String failureOf(NatsLeaseStore s) {
    try {
      s.read(GROUP);
      return "";
    } catch (LeaseStoreException e) {
      return String.valueOf(e.getMessage());
    }
  }

  // Regression (issue 13): jnats pinged every 2 minutes, so a half-open link was noticed after
  // minutes, every request on it timing out meanwhile.
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aSilentlyDeadLinkIsReplacedWithinAFewPingIntervals() throws Exception {
    try (StallingProxy proxy = StallingProxy.start(nats.port())) {
      NatsLeaseStore s =
          NatsLeaseStore.builder(proxy.url())
              .bucket(bucket)
              .requestTimeout(Duration.ofMillis(300))
              .pingInterval(Duration.ofMillis(300))
              .build();
      toClose.add(s);
      await().ignoreExceptions().atMost(Duration.ofSeconds(5)).until(() -> s.read(GROUP) != null);
      proxy.stallOpenConnections();
      long t0 = System.nanoTime();
      await().ignoreExceptions().atMost(Duration.ofSeconds(5)).until(() -> s.read(GROUP) != null);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf("FIGURE dead link (ping 300 ms) replaced after %d ms%n", ms);
      // Three unanswered pings, then a reconnect: about 1 s here; minutes before.
      assertThat(ms).isLessThan(3_000);
    }
  }

  // Regression (issue 13): the URL, credentials included, was logged on every connection event and
  // in every store error, which members log at WARN on each retry.
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void credentialsNeverAppearInLogsOrExceptions() throws Exception {
    int closedPort;
    try (ServerSocket free = new ServerSocket(0)) {
      closedPort = free.getLocalPort();
    }
    StringWriter thrown = new StringWriter();
    String logs;
    try (NatsServerProcess auth = NatsServerProcess.start("--user", "u", "--pass", "SECRET");
        CapturedOutput out = CapturedOutput.start()) {
      ActiveOptions fast =
          ActiveOptions.builder()
              .ttl(Duration.ofMillis(600))
              .heartbeat(Duration.ofMillis(100))
              .maxStoreBackoff(Duration.ofMillis(200))
              .build();
      // Nobody listens: connection errors, retried and logged by the member.
      NatsLeaseStore unreachable =
          NatsLeaseStore.builder("nats://u:SECRET@127.0.0.1:" + closedPort).bucket(bucket).build();
      // The right password: connection events. The wrong one in a token: authentication errors.
      NatsLeaseStore working =
          NatsLeaseStore.builder("nats://u:SECRET@127.0.0.1:" + auth.port()).bucket(bucket).build();
      NatsLeaseStore refused =
          NatsLeaseStore.builder("nats://127.0.0.1:" + auth.port())
              .userInfo("u", "SECRET-but-wrong".toCharArray())
              .bucket(bucket)
              .build();
      for (NatsLeaseStore s : List.of(unreachable, working, refused)) {
        toClose.add(s);
        try {
          s.read(GROUP);
        } catch (RuntimeException e) {
          e.printStackTrace(new PrintWriter(thrown));
        }
        ActiveMember m = ActiveMember.builder(GROUP, "m", s).options(fast).build();
        toClose.add(m);
        m.start();
      }
      // Retries logged by the two failing members, and the working one's election.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  out.text().contains("became ACTIVE")
                      && out.text().split("lease store unreachable", -1).length > 4);
      for (AutoCloseable c : toClose) {
        c.close();
      }
      toClose.clear();
      logs = out.text();
    }
    assertThat(logs).as("the test saw the logs").contains("NATS lease store connection event");
    assertThat(logs + thrown).doesNotContain("SECRET");
  }

  @Test
  void tokenUserInfoOptionsAndSeveralServersAllConnect() throws Exception {
    int closedPort;
    try (ServerSocket free = new ServerSocket(0)) {
      closedPort = free.getLocalPort();
    }
    try (NatsServerProcess tokenServer = NatsServerProcess.start("--auth", "t0ken");
        NatsServerProcess userServer = NatsServerProcess.start("--user", "u", "--pass", "pw")) {
      NatsLeaseStore byToken =
          NatsLeaseStore.builder("nats://127.0.0.1:" + tokenServer.port())
              .token("t0ken".toCharArray())
              .bucket(bucket)
              .build();
      // A cluster list whose first member is down.
      NatsLeaseStore byUser =
          NatsLeaseStore.builder(
                  "nats://127.0.0.1:" + closedPort, "nats://127.0.0.1:" + userServer.port())
              .userInfo("u", "pw".toCharArray())
              .bucket(bucket)
              .build();
      NatsLeaseStore byOptions =
          NatsLeaseStore.builder(
                  new Options.Builder()
                      .server("nats://127.0.0.1:" + userServer.port())
                      .userInfo("u", "pw")
                      .noRandomize()
                      .build())
              .bucket(bucket + "o")
              .build();
      for (NatsLeaseStore s : List.of(byToken, byUser, byOptions)) {
        toClose.add(s);
        await()
            .atMost(Duration.ofSeconds(10))
            .ignoreExceptions()
            .until(() -> s.read(GROUP) != null);
        assertThat(won(s.acquire(GROUP, A, TTL)).heldBy(A)).isTrue();
      }
    }
  }

  @Test
  void connectionSettingsBelongToOneSource() throws Exception {
    Options options = new Options.Builder().server("nats://127.0.0.1:4222").build();
    assertThatThrownBy(() -> NatsLeaseStore.builder(options).token("x".toCharArray()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("token: set it on the jnats Options");
    assertThatThrownBy(
            () ->
                NatsLeaseStore.builder("nats://127.0.0.1:4222")
                    .token("x".toCharArray())
                    .userInfo("u", "p".toCharArray())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("at most one of userInfo, token, credentialsFile");
    assertThatThrownBy(
            () -> NatsLeaseStore.builder("nats://x").credentialsFile(Path.of("/no/such.creds")))
        .hasMessage("credentialsFile: '/no/such.creds' (expected: a readable .creds file)");
    // TLS URLs and clusters are accepted; connecting happens at first use.
    NatsLeaseStore.builder("tls://10.0.0.1:4222", "tls://10.0.0.2:4222").build().close();
  }
}
