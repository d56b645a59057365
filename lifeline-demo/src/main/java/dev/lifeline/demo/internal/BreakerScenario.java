package dev.lifeline.demo.internal;

import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineCalls;
import dev.lifeline.grpc.LifelineChannel;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The {@code breaker} bench: calls to a dependency that stops answering, with and without a circuit
 * breaker. Stateless; owns and closes its servers and channels.
 */
final class BreakerScenario {

  private BreakerScenario() {}

  static BenchReport run(Bench.Timing t) throws Exception {
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
                GrpcScenarios.THREADS,
                Duration.ZERO,
                Duration.ofSeconds(t.quick() ? 5 : 30),
                calls,
                () ->
                    stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                        .getItemDetail(GrpcScenarios.REQ));
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
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CircuitBreakers breakers = CircuitBreakers.builder().meterRegistry(meters).build();
        Histogram rejects = Load.histogram();
        long opened = -1;
        try (ChannelPool pool = Channels.plaintextPool();
            LifelineChannel lease = pool.lease(backend.target())) {
          LifelineCalls lifeline =
              LifelineCalls.builder()
                  .service("item")
                  .retryPolicy(RetryPolicy.noRetry())
                  .circuitBreakers(breakers)
                  .meterRegistry(meters)
                  .build();
          ItemServiceGrpc.ItemServiceBlockingStub life =
              ItemServiceGrpc.newBlockingStub(
                  ClientInterceptors.intercept(lease, lifeline.interceptor()));
          // Time-outs open the breaker; it is bounded by the window size in calls.
          for (int i = 0; i < 100 && !anyOpen(breakers); i++) {
            opened = i + 1L;
            GrpcScenarios.tryCall(life, deadlineMs);
          }
          if (anyOpen(breakers)) {
            int n = t.quick() ? 2_000 : 20_000;
            // The rejection path is warmed like every other setup, so that JIT compilation is
            // not measured as rejection latency. The stub's code was first compiled for calls
            // that wait 300 ms, and a probe showed the rejection path settling only after about
            // 60 000 calls (p50 30 us before, 4 us after), so the warm-up is five times the
            // measured count.
            for (int i = 0; i < 5 * n && anyOpen(breakers); i++) {
              GrpcScenarios.tryCall(life, deadlineMs);
            }
            for (int i = 0; i < n && anyOpen(breakers); i++) {
              long t0 = System.nanoTime();
              GrpcScenarios.tryCall(life, deadlineMs);
              Load.record(rejects, System.nanoTime() - t0);
            }
          }
        }
        if (rejects.getTotalCount() > 0) {
          report.result(
              "lifeline breaker open",
              "calls",
              rejects.getTotalCount(),
              "opened_after_calls",
              opened,
              "p50_us",
              rejects.getValueAtPercentile(50) / 1e3,
              "p99_us",
              rejects.getValueAtPercentile(99) / 1e3);
          report.figure("open_reject_p99_us", rejects.getValueAtPercentile(99) / 1e3);
        } else {
          report.result("lifeline breaker open", "note", "breaker did not open within 100 calls");
          report.figure("open_reject_p99_us", null);
        }
        report.figure("timeout_wait_p99_ms", waited.millis(99));
        report.note("the dependency never answers");
      } finally {
        Channels.close(ch);
      }
    }
    return report;
  }

  private static boolean anyOpen(CircuitBreakers breakers) {
    return breakers.registry().getAllCircuitBreakers().stream()
        .anyMatch(b -> b.getState() == CircuitBreaker.State.OPEN);
  }
}
