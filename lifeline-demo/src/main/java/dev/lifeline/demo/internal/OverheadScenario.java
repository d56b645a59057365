package dev.lifeline.demo.internal;

import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.examples.item.proto.ItemDetail;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineCalls;
import dev.lifeline.grpc.LifelineChannel;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The {@code overhead} bench: what Lifeline adds to a call on a warm channel, against plain
 * grpc-java and Resilience4j around it. Stateless; owns and closes its servers and channels.
 */
final class OverheadScenario {

  private OverheadScenario() {}

  static BenchReport run(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("overhead");
    try (ItemBackend backend = new ItemBackend(0).start();
        ChannelPool pool = Channels.plaintextPool();
        LifelineChannel lease = pool.lease(backend.target())) {
      ManagedChannel ch = Channels.plain(backend.target());
      List<ManagedChannel> closeLater = new java.util.ArrayList<>();
      try {
        ItemServiceGrpc.ItemServiceBlockingStub raw = ItemServiceGrpc.newBlockingStub(ch);
        Load.Call rawCall =
            () -> raw.withDeadlineAfter(5, TimeUnit.SECONDS).getItemDetail(GrpcScenarios.REQ);
        // grpc-java enables its own retry machinery by default; Lifeline channels turn it off, so a
        // raw stub without it is measured too.
        ManagedChannel noRetry =
            NettyChannelBuilder.forTarget(backend.target()).usePlaintext().disableRetry().build();
        closeLater.add(noRetry);
        ItemServiceGrpc.ItemServiceBlockingStub rawNoRetry =
            ItemServiceGrpc.newBlockingStub(noRetry);
        Load.Call rawNoRetryCall =
            () ->
                rawNoRetry.withDeadlineAfter(5, TimeUnit.SECONDS).getItemDetail(GrpcScenarios.REQ);

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
                    breaker,
                    () ->
                        raw.withDeadlineAfter(5, TimeUnit.SECONDS)
                            .getItemDetail(GrpcScenarios.REQ)));
        Load.Call r4jCall =
            () -> {
              ItemDetail unused = decorated.get();
            };

        LifelineCalls lifeline =
            LifelineCalls.builder()
                .service("item")
                .retryPolicy(RetryPolicy.defaults())
                .circuitBreakers(
                    CircuitBreakers.builder().meterRegistry(new SimpleMeterRegistry()).build())
                .meterRegistry(new SimpleMeterRegistry())
                .build();
        ItemServiceGrpc.ItemServiceBlockingStub life =
            ItemServiceGrpc.newBlockingStub(
                ClientInterceptors.intercept(lease, lifeline.interceptor()));
        Load.Call lifeCall =
            () -> life.withDeadlineAfter(5, TimeUnit.SECONDS).getItemDetail(GrpcScenarios.REQ);

        // Every setup is warmed before any is measured, so that JIT work does not favour the last.
        for (Load.Call c : new Load.Call[] {rawCall, rawNoRetryCall, r4jCall, lifeCall}) {
          Load.warmup(GrpcScenarios.THREADS, t.warmup(), GrpcScenarios.MAX_CALLS, c);
        }
        List<Load.Result> rs =
            Load.interleaved(
                GrpcScenarios.THREADS,
                t.measure(),
                GrpcScenarios.ROUNDS,
                GrpcScenarios.MAX_CALLS,
                List.of(rawCall, rawNoRetryCall, r4jCall, lifeCall));
        Load.Result rawR = rs.get(0);
        Load.Result rawNoRetryR = rs.get(1);
        Load.Result r4j = rs.get(2);
        Load.Result lifeR = rs.get(3);
        GrpcScenarios.row(report, "raw grpc-java stub (default channel)", rawR);
        GrpcScenarios.row(report, "raw grpc-java stub, disableRetry()", rawNoRetryR);
        GrpcScenarios.row(report, "resilience4j retry+breaker", r4j);
        GrpcScenarios.row(report, "lifeline (retry, breaker, metrics)", lifeR);
        report.ratio(
            "throughput_vs_raw", BenchReport.ratioOf(lifeR.throughput(), rawR.throughput()));
        report.ratio(
            "throughput_vs_resilience4j",
            BenchReport.ratioOf(lifeR.throughput(), r4j.throughput()));
        report.figure("lifeline_p50_us", lifeR.micros(50));
        report.figure("raw_p50_us", rawR.micros(50));
        report.ratio(
            "throughput_vs_raw_no_grpc_retry",
            BenchReport.ratioOf(lifeR.throughput(), rawNoRetryR.throughput()));
        report.note(
            GrpcScenarios.THREADS
                + " closed-loop callers per setup; every setup warmed, then measured in "
                + GrpcScenarios.ROUNDS
                + " interleaved slices");
      } finally {
        Channels.close(ch);
        for (ManagedChannel c : closeLater) {
          Channels.close(c);
        }
      }
    }
    return report;
  }
}
