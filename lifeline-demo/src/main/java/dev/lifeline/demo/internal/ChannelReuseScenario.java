package dev.lifeline.demo.internal;

import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineChannel;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The {@code channel-reuse} bench: a channel per request (the kugelpos anti-pattern), a pooled
 * lease per request, and one shared channel, by number of concurrent users. Stateless; owns and
 * closes its servers and channels.
 */
final class ChannelReuseScenario {

  private ChannelReuseScenario() {}

  static BenchReport run(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("channel-reuse");
    try (ItemBackend backend = new ItemBackend(0).start()) {
      String target = backend.target();
      long before = Channels.CREATED.get();
      // The kugelpos anti-pattern: every request builds a repository that opens its own channel.
      Load.Result perRequest =
          Load.closedLoop(
              GrpcScenarios.THREADS,
              t.warmup(),
              t.measure(),
              GrpcScenarios.MAX_CALLS,
              channelPerRequest(target));
      long created = Channels.CREATED.get() - before;
      GrpcScenarios.row(report, "new channel per request", perRequest, "channels_created", created);
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      Load.Result shared;
      try (ChannelPool pool = Channels.plaintextPool(meters);
          LifelineChannel app = pool.lease(target)) {
        // The application holds one lease for its lifetime, as a DI container would; every
        // request still builds its own repository, which leases and releases the shared channel.
        ItemServiceGrpc.newBlockingStub(app)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .getItemDetail(GrpcScenarios.REQ);
        shared =
            Load.closedLoop(
                GrpcScenarios.THREADS,
                t.warmup(),
                t.measure(),
                GrpcScenarios.MAX_CALLS,
                leasePerRequest(pool, target));
      }
      long lifelineCreated =
          (long)
              meters.find("lifeline.channel.creations").counters().stream()
                  .mapToDouble(c -> c.count())
                  .sum();
      GrpcScenarios.row(
          report, "lifeline pool, lease per request", shared, "channels_created", lifelineCreated);
      report.ratio(
          "throughput_vs_per_request",
          BenchReport.ratioOf(shared.throughput(), perRequest.throughput()));
      report.ratio(
          "p99_per_request_vs_lifeline",
          BenchReport.ratioOf(perRequest.micros(99), shared.micros(99)));
      report.count("channels_created", lifelineCreated);
      report.count("channels_created_per_request", created);
      byUsers(report, target, t);
    }
    return report;
  }

  /** The kugelpos anti-pattern: every request builds a repository that opens its own channel. */
  private static Load.Call channelPerRequest(String target) {
    return () -> {
      ManagedChannel ch = Channels.plain(target);
      try {
        ItemServiceGrpc.newBlockingStub(ch)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .getItemDetail(GrpcScenarios.REQ);
      } finally {
        Channels.close(ch);
      }
    };
  }

  /** Every request builds its own repository, which leases and releases the pooled channel. */
  private static Load.Call leasePerRequest(ChannelPool pool, String target) {
    return () -> {
      try (LifelineChannel lease = pool.lease(target)) {
        ItemServiceGrpc.newBlockingStub(lease)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .getItemDetail(GrpcScenarios.REQ);
      }
    };
  }

  /** The concurrent users of the kugelpos plan's results table. */
  static final int[] SEED_USERS = {1, 3, 5, 10, 15};

  /**
   * The kugelpos plan's own table, measured in this run: p99 and throughput by concurrent users, a
   * channel per request against Lifeline's pool. Each level gets a quarter of the measurement time.
   */
  private static void byUsers(BenchReport report, String target, Bench.Timing t) throws Exception {
    Duration warmup = t.warmup().dividedBy(3);
    Duration measure = t.measure().dividedBy(4);
    List<List<Object>> rows = new ArrayList<>();
    try (ChannelPool pool = Channels.plaintextPool(new SimpleMeterRegistry());
        LifelineChannel app = pool.lease(target)) {
      // The application's own lease, held for its lifetime, keeps the channel in the pool.
      ItemServiceGrpc.newBlockingStub(app)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .getItemDetail(GrpcScenarios.REQ);
      for (int users : SEED_USERS) {
        Load.Result perRequest =
            Load.closedLoop(
                users, warmup, measure, GrpcScenarios.MAX_CALLS, channelPerRequest(target));
        Load.Result lifeline =
            Load.closedLoop(
                users, warmup, measure, GrpcScenarios.MAX_CALLS, leasePerRequest(pool, target));
        Double p99Cut = BenchReport.ratioOf(lifeline.micros(99), perRequest.micros(99));
        rows.add(
            List.of(
                users,
                perRequest.micros(99) / 1000.0,
                lifeline.micros(99) / 1000.0,
                p99Cut == null ? "n/a" : String.format(Locale.ROOT, "%.0f %%", (1 - p99Cut) * 100),
                perRequest.throughput(),
                lifeline.throughput(),
                BenchReport.ratioOf(lifeline.throughput(), perRequest.throughput())));
      }
    }
    report.table(
        "by concurrent users (the kugelpos plan's table; p99 in ms, throughput in calls/s)",
        List.of(
            "users",
            "p99 per request",
            "p99 lifeline",
            "p99 reduction",
            "calls/s per request",
            "calls/s lifeline",
            "throughput x"),
        rows);
  }
}
