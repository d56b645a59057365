package dev.lifeline.chaos.internal;

import dev.lifeline.chaos.ChaosMember;
import dev.lifeline.chaos.proto.ChaosMemberGrpc;
import dev.lifeline.chaos.proto.WriteReply;
import dev.lifeline.chaos.proto.WriteRequest;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.grpc.ChannelBuilderFactory;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.StickyGroupChannel;
import dev.lifeline.testing.HistoryChecker;
import dev.lifeline.testing.NatsCluster;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.ClusterInfo;
import io.nats.client.api.Replica;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The chaos run: a 3-node NATS cluster, three member processes, a fenced register and client load;
 * then a seeded schedule of faults, each followed by a heal and a wait for a steady state; then the
 * history check. Not thread-safe: one run, driven by one thread ({@link #run()}).
 */
public final class ChaosRun implements AutoCloseable {

  /**
   * The run's settings.
   *
   * @param failovers how many faults to inject
   * @param seed the schedule's random seed
   * @param ttl the group's lease TTL
   * @param heartbeat the renewal interval
   * @param safetyMargin how long before the TTL an active stops
   * @param clients concurrent client threads, one call at a time each
   * @param callDeadline each client call's deadline; covers every failover for zero failed calls
   * @param attemptTimeout each attempt's limit, after which the call moves to the next member
   * @param bucket the lease bucket
   */
  public record Config(
      int failovers,
      long seed,
      Duration ttl,
      Duration heartbeat,
      Duration safetyMargin,
      int clients,
      Duration callDeadline,
      Duration attemptTimeout,
      String bucket) {

    /** The defaults of {@code ./lifeline chaos}: 100 faults, TTL 2 s. */
    public static Config defaults() {
      return new Config(
          100,
          1,
          Duration.ofSeconds(2),
          Duration.ofMillis(500),
          Duration.ofMillis(300),
          4,
          Duration.ofSeconds(30),
          Duration.ofSeconds(1),
          "chaos");
    }

    /** A copy with another number of faults and seed. */
    public Config with(int failovers, long seed) {
      return new Config(
          failovers,
          seed,
          ttl,
          heartbeat,
          safetyMargin,
          clients,
          callDeadline,
          attemptTimeout,
          bucket);
    }
  }

  /** A call that failed as a client saw it. */
  record Failure(String client, String requestId, long sentNanos, long endNanos, String status) {}

  /** One injected fault and what followed. */
  record FaultRecord(
      int index,
      FaultKind kind,
      String target,
      long tokenBefore,
      long faultNanos,
      long healedNanos,
      long failoverNanos,
      String newActive) {}

  private static final Duration STEADY_WITHIN = Duration.ofSeconds(90);

  private final Config config;
  private final PrintStream out;
  private final Path dir;
  private final HistoryChecker history = new HistoryChecker();
  private final List<Failure> failures = new CopyOnWriteArrayList<>();
  private final List<FaultRecord> faults = new ArrayList<>();
  private final AtomicReference<HistoryChecker.Ack> highest = new AtomicReference<>();
  private final List<MemberProcess> members = new ArrayList<>();
  private final List<Thread> clientThreads = new ArrayList<>();
  private final Random random;

  private NatsCluster cluster;
  private Connection monitor;
  private Server registerServer;
  private FencedRegister register;
  private ChannelPool pool;
  private StickyGroupChannel channel;
  private volatile boolean loadRunning;

  public ChaosRun(Config config, PrintStream out) {
    this.config = config;
    this.out = out;
    this.random = new Random(config.seed());
    try {
      this.dir = Files.createTempDirectory("lifeline-chaos-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs the whole schedule and returns the report; the caller closes the run. */
  public ChaosReport run() throws IOException, InterruptedException {
    long begin = System.nanoTime();
    setUp();
    List<FaultKind> schedule = FaultKind.schedule(config.failovers(), random);
    // A group that never recovers is a finding, not a crash of the run: the schedule stops there
    // and the history recorded so far is still checked and reported.
    String stuck = null;
    try {
      for (int i = 0; i < schedule.size(); i++) {
        awaitSteady();
        FaultRecord r = inject(i + 1, schedule.get(i));
        faults.add(r);
        out.printf(
            "fault %3d/%d %-18s %-8s failover %6s ms  active now %s%n",
            r.index(),
            schedule.size(),
            r.kind().key(),
            r.target(),
            r.failoverNanos() < 0 ? "none" : String.valueOf(r.failoverNanos() / 1_000_000),
            r.newActive());
      }
      awaitSteady();
    } catch (IllegalStateException e) {
      stuck =
          "stopped after "
              + faults.size()
              + " faults: the group did not recover from fault "
              + (faults.size() + 1)
              + ": "
              + e.getMessage();
      out.println("chaos: " + stuck);
    }
    stopLoad();
    HistoryChecker.Verdict verdict = history.check();
    return ChaosReport.of(
        config,
        faults,
        failures,
        verdict,
        register.rejected(),
        Duration.ofNanos(System.nanoTime() - begin),
        dir,
        stuck);
  }

  // ---- set-up ------------------------------------------------------------------------------

  private void setUp() throws IOException, InterruptedException {
    cluster = NatsCluster.start(3);
    monitor =
        Nats.connect(
            Options.builder()
                .servers(cluster.directUrls().toArray(String[]::new))
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(200))
                .connectionTimeout(Duration.ofSeconds(2))
                .noRandomize()
                .errorListener(new io.nats.client.ErrorListener() {})
                .build());
    register = new FencedRegister(history);
    registerServer =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(register)
            .build()
            .start();
    List<String> settings =
        List.of(
            "--register",
            "127.0.0.1:" + registerServer.getPort(),
            "--ttl-ms",
            String.valueOf(config.ttl().toMillis()),
            "--heartbeat-ms",
            String.valueOf(config.heartbeat().toMillis()),
            "--safety-ms",
            String.valueOf(config.safetyMargin().toMillis()),
            "--max-store-backoff-ms",
            String.valueOf(config.ttl().toMillis() / 2),
            "--bucket",
            config.bucket(),
            "--replicas",
            "3");
    // The member ports stay bound until the members start, so no proxy can be given one.
    List<ServerSocket> reserved = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        ServerSocket port = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        reserved.add(port);
        String id = "m" + i;
        members.add(
            new MemberProcess(id, port.getLocalPort(), cluster.clientLinks(id), settings, dir));
      }
    } finally {
      for (ServerSocket s : reserved) {
        s.close();
      }
    }
    members.forEach(MemberProcess::start);
    for (MemberProcess m : members) {
      m.awaitReady(Duration.ofSeconds(60));
    }
    pool = ChannelPool.builder().builderFactory(ChannelBuilderFactory.plaintext()).build();
    // An attempt on a paused or cut-off active would otherwise wait for the call's whole
    // deadline: the connection is alive, only the process behind it does not answer. The write is
    // idempotent on its request id, so a timed-out attempt may move to the next member.
    RetryPolicy retry =
        StickyGroupChannel.defaultRetryPolicy().toBuilder()
            .perAttemptTimeout(config.attemptTimeout())
            .retryOn(FailureKind.UNAVAILABLE, FailureKind.NOT_ACTIVE, FailureKind.TIMEOUT)
            .build();
    StickyGroupChannel.Builder b =
        StickyGroupChannel.builder(ChaosMember.GROUP.toString())
            .channelPool(pool)
            .callPolicy(
                StickyGroupChannel.defaultPolicy(ChaosMember.GROUP.toString())
                    .retryPolicy(retry)
                    .build());
    members.forEach(m -> b.member(m.address()));
    channel = b.build();
    startLoad();
    out.printf(
        "chaos: 3 NATS nodes, %d members, %d clients, ttl %d ms, %d faults, seed %d, logs in %s%n",
        members.size(),
        config.clients(),
        config.ttl().toMillis(),
        config.failovers(),
        config.seed(),
        dir);
  }

  private void startLoad() {
    loadRunning = true;
    for (int c = 0; c < config.clients(); c++) {
      String client = "c" + c;
      Thread t = new Thread(() -> clientLoop(client), "chaos-client-" + c);
      t.setDaemon(true);
      t.start();
      clientThreads.add(t);
    }
  }

  private void clientLoop(String client) {
    ChaosMemberGrpc.ChaosMemberBlockingStub stub = ChaosMemberGrpc.newBlockingStub(channel);
    long n = 0;
    while (loadRunning) {
      String id = client + "-" + n++;
      long sent = System.nanoTime();
      try {
        WriteReply reply =
            stub.withDeadlineAfter(config.callDeadline().toMillis(), TimeUnit.MILLISECONDS)
                .write(WriteRequest.newBuilder().setRequestId(id).build());
        HistoryChecker.Ack ack =
            new HistoryChecker.Ack(
                client, id, reply.getMember(), reply.getFencingToken(), sent, System.nanoTime());
        history.ack(ack);
        highest.accumulateAndGet(ack, (a, b) -> a == null || b.token() > a.token() ? b : a);
      } catch (StatusRuntimeException e) {
        if (loadRunning) {
          failures.add(
              new Failure(client, id, sent, System.nanoTime(), String.valueOf(e.getStatus())));
        }
      }
      // Pacing, not waiting for a condition: about 100 calls per second per client.
      pause(Duration.ofMillis(10));
    }
  }

  private void stopLoad() {
    loadRunning = false;
    for (Thread t : clientThreads) {
      try {
        t.join(config.callDeadline().toMillis() + 5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---- steady state ------------------------------------------------------------------------

  /**
   * Waits until every node runs and the lease stream has a leader with every replica current, every
   * member serves, and calls are being acknowledged by one active.
   */
  private void awaitSteady() {
    long since = System.nanoTime();
    try {
      Awaitility.await("steady state (logs in " + dir + ")")
          .atMost(STEADY_WITHIN)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> streamHealthy() && membersServing() && serving(since));
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(
          "no steady state within "
              + STEADY_WITHIN
              + ": stream "
              + streamState()
              + ", members "
              + members.stream().map(m -> m.id() + "=" + m.isServing()).toList()
              + " (logs in "
              + dir
              + ")",
          e);
    }
  }

  private boolean membersServing() {
    return members.stream().allMatch(MemberProcess::isServing);
  }

  /** A call acknowledged at least 200 ms after {@code since}, by the holder of the top token. */
  private boolean serving(long since) {
    HistoryChecker.Ack top = highest.get();
    if (top == null) {
      return false;
    }
    List<HistoryChecker.Ack> acks = history.acks();
    for (int i = acks.size() - 1; i >= 0 && i >= acks.size() - 50; i--) {
      HistoryChecker.Ack a = acks.get(i);
      if (a.token() == top.token() && a.ackedNanos() - since > 200_000_000L) {
        return true;
      }
    }
    return false;
  }

  private String streamName() {
    return "KV_" + config.bucket();
  }

  private Optional<StreamInfo> streamInfo() {
    try {
      JetStreamManagement jsm =
          monitor.jetStreamManagement(
              JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(1)).build());
      return Optional.of(jsm.getStreamInfo(streamName()));
    } catch (IOException | io.nats.client.JetStreamApiException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private boolean streamHealthy() {
    for (int i = 0; i < cluster.size(); i++) {
      if (!cluster.node(i).isRunning()) {
        return false;
      }
    }
    Optional<StreamInfo> info = streamInfo();
    if (info.isEmpty() || info.get().getClusterInfo() == null) {
      return false;
    }
    ClusterInfo ci = info.get().getClusterInfo();
    List<Replica> replicas = ci.getReplicas() == null ? List.of() : ci.getReplicas();
    return ci.getLeader() != null
        && replicas.size() == cluster.size() - 1
        && replicas.stream().allMatch(r -> r.isCurrent() && !r.isOffline());
  }

  private String streamState() {
    return streamInfo()
        .map(StreamInfo::getClusterInfo)
        .map(
            ci ->
                "leader "
                    + ci.getLeader()
                    + ", replicas "
                    + (ci.getReplicas() == null
                        ? "[]"
                        : ci.getReplicas().stream()
                            .map(
                                r ->
                                    r.getName()
                                        + (r.isCurrent() ? " current" : " behind")
                                        + (r.isOffline() ? " offline" : ""))
                            .toList()))
        .orElse("unavailable");
  }

  // ---- faults ------------------------------------------------------------------------------

  private MemberProcess activeMember() {
    HistoryChecker.Ack top = highest.get();
    return members.stream()
        .filter(m -> m.id().equals(top.member()))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("unknown active " + top.member()));
  }

  private FaultRecord inject(int index, FaultKind kind) {
    long tokenBefore = highest.get().token();
    MemberProcess active = activeMember();
    String target;
    long fault;
    switch (kind) {
      case ACTIVE_KILL -> {
        target = active.id();
        fault = System.nanoTime();
        active.kill();
        awaitNewTenure(tokenBefore);
        active.start();
        active.awaitReady(Duration.ofSeconds(60));
      }
      case ACTIVE_PAUSE -> {
        target = active.id();
        // Longer than the TTL, so the lease expires and another member takes over meanwhile.
        Duration hold = config.ttl().plusMillis(1_000 + random.nextInt(500));
        fault = System.nanoTime();
        active.pause();
        pause(hold);
        active.resume();
        awaitNewTenure(tokenBefore);
      }
      case GRACEFUL_STOP -> {
        target = active.id();
        fault = System.nanoTime();
        active.terminate();
        awaitNewTenure(tokenBefore);
        active.start();
        active.awaitReady(Duration.ofSeconds(60));
      }
      case STREAM_LEADER_KILL -> {
        String leader =
            streamInfo()
                .map(StreamInfo::getClusterInfo)
                .map(ClusterInfo::getLeader)
                .orElseThrow(() -> new IllegalStateException("lease stream has no leader"));
        NatsCluster.Node node = cluster.node(leader);
        target = leader;
        fault = System.nanoTime();
        node.kill();
        // Kept down until the group serves calls sent after the crash, then restarted.
        awaitCallSentAfter(fault);
        node.start();
        node.awaitAccepting(Duration.ofSeconds(30));
      }
      case ACTIVE_CUT_OFF -> {
        target = active.id();
        fault = System.nanoTime();
        active.links().cut();
        awaitNewTenure(tokenBefore);
        active.links().heal();
      }
      case NODE_SPLIT -> {
        int n = random.nextInt(cluster.size());
        target = NatsCluster.nodeName(n);
        Duration hold = config.ttl().multipliedBy(2).plusMillis(random.nextInt(1_000));
        fault = System.nanoTime();
        cluster.isolate(n);
        pause(hold);
        cluster.rejoin(n);
      }
      case NODE_RESTART -> {
        NatsCluster.Node node = cluster.node(random.nextInt(cluster.size()));
        target = node.name();
        fault = System.nanoTime();
        node.stop();
        node.start();
        node.awaitAccepting(Duration.ofSeconds(30));
      }
      default -> throw new IllegalStateException("unknown fault " + kind);
    }
    awaitSteady();
    long healed = System.nanoTime();
    long failover =
        kind.deposesActive()
            ? firstAckAbove(tokenBefore, fault) - fault
            : longestSilence(fault, healed);
    return new FaultRecord(
        index, kind, target, tokenBefore, fault, healed, failover, highest.get().member());
  }

  /** Waits for a call acknowledged with a token above {@code token} (a new tenure). */
  private void awaitNewTenure(long token) {
    await("a new active after the fault", () -> highest.get().token() > token);
  }

  /** Waits for an acknowledged call that was sent after {@code fault}. */
  private void awaitCallSentAfter(long fault) {
    await(
        "a call sent after the fault acknowledged",
        () -> {
          List<HistoryChecker.Ack> acks = history.acks();
          return !acks.isEmpty() && acks.get(acks.size() - 1).sentNanos() > fault;
        });
  }

  private void await(String what, java.util.concurrent.Callable<Boolean> condition) {
    try {
      Awaitility.await(what + " (logs in " + dir + ")")
          .atMost(STEADY_WITHIN)
          .pollInterval(Duration.ofMillis(5))
          .until(condition);
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** When the first call with a token above {@code token} was acknowledged, after the fault. */
  private long firstAckAbove(long token, long fault) {
    return history.acks().stream()
        .filter(a -> a.token() > token && a.ackedNanos() > fault)
        .mapToLong(HistoryChecker.Ack::ackedNanos)
        .min()
        .orElse(fault - 1);
  }

  /** The longest stretch without an acknowledged call from {@code from} to {@code to}. */
  private long longestSilence(long from, long to) {
    long[] times =
        history.acks().stream()
            .mapToLong(HistoryChecker.Ack::ackedNanos)
            .filter(t -> t > from && t <= to)
            .sorted()
            .toArray();
    long longest = 0;
    long prev = from;
    for (long t : times) {
      longest = Math.max(longest, t - prev);
      prev = t;
    }
    return Math.max(longest, to - prev);
  }

  /** Holds a fault for a planned time: the schedule's own timing, not a wait for a condition. */
  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    loadRunning = false;
    if (channel != null) {
      channel.close();
    }
    if (pool != null) {
      pool.close();
    }
    members.forEach(MemberProcess::close);
    if (registerServer != null) {
      registerServer.shutdownNow();
    }
    if (monitor != null) {
      try {
        monitor.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Deletes the member logs; call after a run whose logs are not needed. */
  public void deleteLogs() {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // Best effort.
    }
  }
}
