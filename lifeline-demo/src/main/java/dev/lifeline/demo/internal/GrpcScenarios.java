package dev.lifeline.demo.internal;

import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemDetail;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineChannel;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/** The gRPC bench scenarios. Stateless; each scenario owns and closes its servers and channels. */
final class GrpcScenarios {

  static final GetItemDetailRequest REQ =
      GetItemDetailRequest.newBuilder()
          .setTenantId("t1")
          .setStoreCode("s1")
          .setItemCode("4901234567890")
          .build();
  private static final int THREADS = 4;
  private static final long MAX_CALLS = 20_000_000L;

  private GrpcScenarios() {}

  static BenchReport overhead(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("overhead");
    try (ItemBackend backend = new ItemBackend(0).start()) {
      ManagedChannel ch = Channels.plain(backend.target());
      try {
        ItemServiceGrpc.ItemServiceBlockingStub raw = ItemServiceGrpc.newBlockingStub(ch);
        Load.Result rawR =
            Load.closedLoop(
                THREADS,
                t.warmup(),
                t.measure(),
                MAX_CALLS,
                () -> raw.withDeadlineAfter(5, TimeUnit.SECONDS).getItemDetail(REQ));
        row(report, "raw grpc-java stub", rawR);

        Retry retry =
            Retry.of(
                "item",
                RetryConfig.custom()
                    .maxAttempts(3)
                    .waitDuration(Duration.ofMillis(100))
                    .retryOnException(GrpcScenarios::isUnavailable)
                    .build());
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("item");
        Supplier<ItemDetail> decorated =
            Retry.decorateSupplier(
                retry,
                CircuitBreaker.decorateSupplier(
                    breaker, () -> raw.withDeadlineAfter(5, TimeUnit.SECONDS).getItemDetail(REQ)));
        Load.Result r4j =
            Load.closedLoop(THREADS, t.warmup(), t.measure(), MAX_CALLS, decorated::get);
        row(report, "resilience4j retry+breaker", r4j);

        report.unavailable("lifeline (retry, breaker, metrics)");
        report.ratio("throughput_vs_raw", null);
        report.ratio("throughput_vs_resilience4j", null);
        report.figure("lifeline_p50_us", null);
        report.figure("raw_p50_us", rawR.micros(50));
      } finally {
        Channels.close(ch);
      }
    }
    return report;
  }

  static BenchReport channelReuse(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("channel-reuse");
    try (ItemBackend backend = new ItemBackend(0).start()) {
      String target = backend.target();
      long before = Channels.CREATED.get();
      // The kugelpos anti-pattern: every request builds a repository that opens its own channel.
      Load.Result perRequest =
          Load.closedLoop(
              THREADS,
              t.warmup(),
              t.measure(),
              MAX_CALLS,
              () -> {
                ManagedChannel ch = Channels.plain(target);
                try {
                  ItemServiceGrpc.newBlockingStub(ch)
                      .withDeadlineAfter(5, TimeUnit.SECONDS)
                      .getItemDetail(REQ);
                } finally {
                  Channels.close(ch);
                }
              });
      long created = Channels.CREATED.get() - before;
      row(report, "new channel per request", perRequest, "channels_created", created);
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      Load.Result shared;
      try (ChannelPool pool = ChannelPool.builder().meterRegistry(meters).build();
          LifelineChannel app = pool.lease(target)) {
        // The application holds one lease for its lifetime, as a DI container would; every
        // request still builds its own repository, which leases and releases the shared channel.
        ItemServiceGrpc.newBlockingStub(app)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .getItemDetail(REQ);
        shared =
            Load.closedLoop(
                THREADS,
                t.warmup(),
                t.measure(),
                MAX_CALLS,
                () -> {
                  try (LifelineChannel lease = pool.lease(target)) {
                    ItemServiceGrpc.newBlockingStub(lease)
                        .withDeadlineAfter(5, TimeUnit.SECONDS)
                        .getItemDetail(REQ);
                  }
                });
      }
      long lifelineCreated =
          (long)
              meters.find("lifeline.channel.created").counters().stream()
                  .mapToDouble(c -> c.count())
                  .sum();
      row(report, "lifeline pool, lease per request", shared, "channels_created", lifelineCreated);
      report.ratio(
          "throughput_vs_per_request",
          BenchReport.ratioOf(shared.throughput(), perRequest.throughput()));
      report.ratio(
          "p99_per_request_vs_lifeline",
          BenchReport.ratioOf(perRequest.micros(99), shared.micros(99)));
      report.count("channels_created", lifelineCreated);
      report.count("channels_created_per_request", created);
    }
    return report;
  }

  static BenchReport poolScaling(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("pool-scaling");
    try (ItemBackend backend = new ItemBackend(100).start()) {
      backend.delayMillis(10);
      ManagedChannel ch = Channels.plain(backend.target());
      try {
        Load.Result single = inflight(ch, 1000, t);
        row(report, "one channel (100 streams/conn)", single);
        report.unavailable("lifeline several connections");
        report.ratio("throughput_vs_single_channel", null);
        report.note(
            "server: 100 concurrent streams per connection, 10 ms per call, 1000 in flight");
      } finally {
        Channels.close(ch);
      }
    }
    return report;
  }

  /** Keeps {@code inflight} async calls outstanding on {@code ch}; warm-up then measurement. */
  static Load.Result inflight(Channel ch, int inflight, Bench.Timing t)
      throws InterruptedException {
    inflightPhase(ch, inflight, t.warmup(), null);
    Histogram h = Load.histogram();
    return inflightPhase(ch, inflight, t.measure(), h);
  }

  private static Load.Result inflightPhase(Channel ch, int inflight, Duration length, Histogram h)
      throws InterruptedException {
    ItemServiceGrpc.ItemServiceStub stub = ItemServiceGrpc.newStub(ch);
    Semaphore slots = new Semaphore(inflight);
    AtomicLong failed = new AtomicLong();
    AtomicLong calls = new AtomicLong();
    long start = System.nanoTime();
    long end = start + length.toNanos();
    while (System.nanoTime() < end && calls.get() < MAX_CALLS) {
      if (!slots.tryAcquire(50, TimeUnit.MILLISECONDS)) {
        continue;
      }
      long t0 = System.nanoTime();
      stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .getItemDetail(
              REQ,
              new StreamObserver<>() {
                @Override
                public void onNext(ItemDetail value) {}

                @Override
                public void onError(Throwable e) {
                  failed.incrementAndGet();
                  done();
                }

                @Override
                public void onCompleted() {
                  done();
                }

                private void done() {
                  if (h != null) {
                    synchronized (h) {
                      Load.record(h, System.nanoTime() - t0);
                    }
                  }
                  calls.incrementAndGet();
                  slots.release();
                }
              });
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long counted = calls.get();
    // Let the calls still in flight finish so that the next phase starts clean.
    slots.tryAcquire(inflight, 15, TimeUnit.SECONDS);
    Histogram result = h == null ? Load.histogram() : h;
    synchronized (result) {
      return new Load.Result(counted, failed.get(), seconds, result.copy());
    }
  }

  static BenchReport reconnect(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("reconnect");
    Duration down = t.quick() ? Duration.ofSeconds(2) : Duration.ofSeconds(30);
    try (ItemBackend backend = new ItemBackend(0).start()) {
      ManagedChannel plain = Channels.plain(backend.target());
      try (ChannelPool pool = ChannelPool.create();
          LifelineChannel lease = pool.lease(backend.target())) {
        ItemServiceGrpc.ItemServiceBlockingStub plainStub = ItemServiceGrpc.newBlockingStub(plain);
        ItemServiceGrpc.ItemServiceBlockingStub lifelineStub =
            ItemServiceGrpc.newBlockingStub(lease);
        plainStub.withDeadlineAfter(5, TimeUnit.SECONDS).getItemDetail(REQ);
        lifelineStub.withDeadlineAfter(5, TimeUnit.SECONDS).getItemDetail(REQ);
        backend.stop();
        // Both clients keep calling during the same outage; each failed call is expected.
        long downUntil = System.nanoTime() + down.toNanos();
        while (System.nanoTime() < downUntil) {
          tryCall(plainStub, 100);
          tryCall(lifelineStub, 100);
          Thread.sleep(100);
        }
        backend.start();
        long restarted = System.nanoTime();
        long bound =
            restarted + (t.quick() ? Duration.ofSeconds(20) : Duration.ofSeconds(150)).toNanos();
        double[] recovered = new double[] {-1, -1};
        Thread lifelineWatcher =
            new Thread(
                () -> recovered[1] = pollUntilUp(lifelineStub, restarted, bound),
                "reconnect-lifeline");
        lifelineWatcher.start();
        recovered[0] = pollUntilUp(plainStub, restarted, bound);
        lifelineWatcher.join(Duration.ofSeconds(160).toMillis());
        Double plainMs = recovered[0] < 0 ? null : recovered[0];
        Double lifelineMs = recovered[1] < 0 ? null : recovered[1];
        report.result(
            "plain grpc channel",
            "down_s",
            (double) down.toSeconds(),
            "recovery_ms",
            plainMs == null ? "not recovered within bound" : plainMs);
        report.result(
            "lifeline channel",
            "down_s",
            (double) down.toSeconds(),
            "recovery_ms",
            lifelineMs == null ? "not recovered within bound" : lifelineMs);
        report.figure("grpc_default_recovery_ms", plainMs);
        report.figure("lifeline_recovery_ms", lifelineMs);
        report.note(
            "recovery: from the server's restart to the first successful call; clients poll every 5 ms");
      } finally {
        Channels.close(plain);
      }
    }
    return report;
  }

  /**
   * Calls every 5 ms until one succeeds; returns ms since {@code fromNanos}, or -1 at the bound.
   */
  private static double pollUntilUp(
      ItemServiceGrpc.ItemServiceBlockingStub stub, long fromNanos, long boundNanos) {
    while (System.nanoTime() < boundNanos) {
      if (tryCall(stub, 200)) {
        return (System.nanoTime() - fromNanos) / 1e6;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }
    return -1;
  }

  private static boolean tryCall(ItemServiceGrpc.ItemServiceBlockingStub stub, long deadlineMs) {
    try {
      stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).getItemDetail(REQ);
      return true;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  static BenchReport retryStorm(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("retry-storm");
    int rate = 200;
    Duration length = t.quick() ? Duration.ofSeconds(1) : Duration.ofSeconds(10);
    try (ItemBackend backend = new ItemBackend(0).start()) {
      backend.mode(ItemBackend.Mode.UNAVAILABLE);
      ManagedChannel ch = Channels.plain(backend.target());
      try {
        ItemServiceGrpc.ItemServiceBlockingStub stub = ItemServiceGrpc.newBlockingStub(ch);
        tryCall(stub, 2000); // connect before measuring
        long a0 = backend.attempts();
        long calls =
            offered(
                rate,
                length,
                () -> {
                  for (int attempt = 1; attempt <= 3; attempt++) {
                    if (tryCall(stub, 2000)) {
                      return;
                    }
                  }
                });
        double naive = (backend.attempts() - a0) / (double) calls;
        report.result(
            "naive 3-attempt loop",
            "calls",
            calls,
            "attempts",
            backend.attempts() - a0,
            "amplification",
            naive);
        report.unavailable("lifeline retry with budget");
        report.ratio("amplification_lifeline", null);
        report.ratio("amplification_naive", naive);
        report.note("server answers UNAVAILABLE to everything; offered load " + rate + " calls/s");
      } finally {
        Channels.close(ch);
      }
    }
    return report;
  }

  /** Starts {@code rate} calls per second for {@code length}; returns how many completed. */
  static long offered(int rate, Duration length, Runnable call) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    AtomicLong done = new AtomicLong();
    long periodNanos = 1_000_000_000L / rate;
    long start = System.nanoTime();
    long n = length.toNanos() / periodNanos;
    try {
      for (long i = 0; i < n; i++) {
        long due = start + i * periodNanos;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        pool.execute(
            () -> {
              call.run();
              done.incrementAndGet();
            });
      }
    } finally {
      pool.shutdown();
      pool.awaitTermination(60, TimeUnit.SECONDS);
      pool.shutdownNow();
    }
    return done.get();
  }

  static BenchReport breaker(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("breaker");
    long deadlineMs = t.quick() ? 100 : 300;
    int calls = t.quick() ? 20 : 100;
    try (ItemBackend backend = new ItemBackend(0).start()) {
      backend.mode(ItemBackend.Mode.HANG);
      ManagedChannel ch = Channels.plain(backend.target());
      try {
        ItemServiceGrpc.ItemServiceBlockingStub stub = ItemServiceGrpc.newBlockingStub(ch);
        Load.Result waited =
            Load.closedLoop(
                THREADS,
                Duration.ZERO,
                Duration.ofSeconds(t.quick() ? 5 : 30),
                calls,
                () -> stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).getItemDetail(REQ));
        report.result(
            "plain stub, deadline " + deadlineMs + " ms",
            "calls",
            waited.calls(),
            "failed",
            waited.failed(),
            "p50_ms",
            waited.millis(50),
            "p99_ms",
            waited.millis(99));
        report.unavailable("lifeline breaker open");
        report.figure("open_reject_p99_us", null);
        report.figure("timeout_wait_p99_ms", waited.millis(99));
        report.note("the dependency never answers");
      } finally {
        Channels.close(ch);
      }
    }
    return report;
  }

  static boolean isUnavailable(Throwable e) {
    return e instanceof StatusRuntimeException s
        && s.getStatus().getCode() == Status.Code.UNAVAILABLE;
  }

  static void row(BenchReport report, String name, Load.Result r, Object... extra) {
    Object[] fields = {
      "calls", r.calls(),
      "failed", r.failed(),
      "calls_per_s", r.throughput(),
      "p50_us", r.micros(50),
      "p99_us", r.micros(99),
    };
    Object[] all = new Object[fields.length + extra.length];
    System.arraycopy(fields, 0, all, 0, fields.length);
    System.arraycopy(extra, 0, all, fields.length, extra.length);
    report.result(name, all);
  }
}
