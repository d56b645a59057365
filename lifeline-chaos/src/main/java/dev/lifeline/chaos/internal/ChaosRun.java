package dev.lifeline.chaos.internal;

import dev.lifeline.chaos.ChaosMember;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.grpc.ChannelBuilderFactory;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.StickyGroupChannel;
import dev.lifeline.testing.HistoryChecker;
import dev.lifeline.testing.NatsCluster;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

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

  private final Config config;
  private final PrintStream out;
  private final Path dir;
  private final HistoryChecker history = new HistoryChecker();
  private final Random random;

  /** How to undo what the run started, latest first; {@link #close()} runs them. */
  private final Deque<Runnable> undo = new ArrayDeque<>();

  /** What the set-up started, for the schedule to drive. */
  private record Rig(
      NatsCluster cluster,
      FencedRegister register,
      ClientLoad load,
      SteadyState steady,
      FaultInjector injector) {}

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
    Rig rig = setUp();
    List<FaultPlan> schedule =
        FaultPlan.schedule(config.failovers(), config.ttl(), rig.cluster().size(), random);
    List<FaultRecord> faults = new ArrayList<>();
    // A group that never recovers is a finding, not a crash of the run: the schedule stops there
    // and the history recorded so far is still checked and reported.
    String stuck = null;
    try {
      for (int i = 0; i < schedule.size(); i++) {
        rig.steady().await();
        FaultRecord r = rig.injector().inject(i + 1, schedule.get(i));
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
      rig.steady().await();
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
    rig.load().stop();
    HistoryChecker.Verdict verdict = history.check();
    return ChaosReport.of(
        config,
        faults,
        rig.load().failures(),
        verdict,
        rig.register().rejected(),
        Duration.ofNanos(System.nanoTime() - begin),
        dir,
        stuck);
  }

  /**
   * Starts the cluster, the register, the members and the load, each registered in {@link #undo} as
   * soon as it runs, so that {@link #close()} stops whatever a failed set-up left behind.
   */
  private Rig setUp() throws IOException, InterruptedException {
    NatsCluster cluster = NatsCluster.start(3);
    undo.push(cluster::close);
    Connection monitor =
        Nats.connect(
            Options.builder()
                .servers(cluster.directUrls().toArray(String[]::new))
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(200))
                .connectionTimeout(Duration.ofSeconds(2))
                .noRandomize()
                .errorListener(new io.nats.client.ErrorListener() {})
                .build());
    undo.push(() -> closeMonitor(monitor));
    FencedRegister register = new FencedRegister(history);
    Server registerServer =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(register)
            .build()
            .start();
    undo.push(registerServer::shutdownNow);
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
    List<MemberProcess> members = new ArrayList<>();
    undo.push(() -> members.forEach(MemberProcess::close));
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
    ChannelPool pool =
        ChannelPool.builder().builderFactory(ChannelBuilderFactory.plaintext()).build();
    undo.push(pool::close);
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
    StickyGroupChannel channel = b.build();
    undo.push(channel::close);
    ClientLoad load = new ClientLoad(history, channel, config.clients(), config.callDeadline());
    load.start();
    undo.push(load::halt);
    out.printf(
        "chaos: 3 NATS nodes, %d members, %d clients, ttl %d ms, %d faults, seed %d, logs in %s%n",
        members.size(),
        config.clients(),
        config.ttl().toMillis(),
        config.failovers(),
        config.seed(),
        dir);
    SteadyState steady =
        new SteadyState(cluster, monitor, config.bucket(), members, history, load, dir);
    return new Rig(
        cluster,
        register,
        load,
        steady,
        new FaultInjector(cluster, members, history, load, steady));
  }

  private static void closeMonitor(Connection monitor) {
    try {
      monitor.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the load and everything the run started, latest first. */
  @Override
  public void close() {
    while (!undo.isEmpty()) {
      undo.pop().run();
    }
  }

  /** Deletes the member logs; call after a run whose logs are not needed. */
  public void deleteLogs() {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // Best effort.
    }
  }
}
