package dev.lifeline.demo.internal;

import dev.lifeline.examples.item.proto.ItemDetail;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelOptions;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineChannel;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * The {@code pool-scaling} bench: throughput as in-flight calls grow past one connection's
 * concurrent-stream limit, with and without more connections per target. Stateless; owns and closes
 * its servers and channels.
 */
final class PoolScalingScenario {

  private PoolScalingScenario() {}

  static BenchReport run(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("pool-scaling");
    try (ItemBackend backend = new ItemBackend(100).start()) {
      backend.delayMillis(10);
      ManagedChannel ch = Channels.plain(backend.target());
      try {
        Load.Result single = inflight(ch, 1000, t);
        GrpcScenarios.row(report, "one channel (100 streams/conn)", single);
        Load.Result several;
        ChannelOptions options =
            ChannelOptions.builder()
                .maxConnectionsPerTarget(GrpcScenarios.CONNECTIONS)
                .maxConcurrentCallsPerConnection(100)
                .build();
        try (ChannelPool pool = Channels.plaintextPool();
            LifelineChannel lease = pool.lease(backend.target(), options)) {
          several = inflight(lease, 1000, t);
        }
        GrpcScenarios.row(
            report, "lifeline, up to " + GrpcScenarios.CONNECTIONS + " connections", several);
        report.ratio(
            "throughput_vs_single_channel",
            BenchReport.ratioOf(several.throughput(), single.throughput()));
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

  private static Load.Result inflightPhase(
      Channel ch, int inflight, Duration length, @Nullable Histogram h)
      throws InterruptedException {
    ItemServiceGrpc.ItemServiceStub stub = ItemServiceGrpc.newStub(ch);
    Semaphore slots = new Semaphore(inflight);
    AtomicLong failed = new AtomicLong();
    AtomicLong calls = new AtomicLong();
    long start = System.nanoTime();
    long end = start + length.toNanos();
    while (System.nanoTime() < end && calls.get() < GrpcScenarios.MAX_CALLS) {
      if (!slots.tryAcquire(50, TimeUnit.MILLISECONDS)) {
        continue;
      }
      long t0 = System.nanoTime();
      stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .getItemDetail(
              GrpcScenarios.REQ,
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
}
