package dev.lifeline.demo.internal;

import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineCalls;
import dev.lifeline.grpc.LifelineChannel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code retry-storm} bench: offered load against a failing dependency, with naive retries and
 * with Lifeline's retry budget. Stateless; owns and closes its servers and channels.
 */
final class RetryStormScenario {

  private RetryStormScenario() {}

  static BenchReport run(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("retry-storm");
    int rate = 200;
    Duration length = t.quick() ? Duration.ofSeconds(1) : Duration.ofSeconds(10);
    try (ItemBackend backend = new ItemBackend(0).start()) {
      backend.mode(ItemBackend.Mode.UNAVAILABLE);
      ManagedChannel ch = Channels.plain(backend.target());
      try {
        ItemServiceGrpc.ItemServiceBlockingStub stub = ItemServiceGrpc.newBlockingStub(ch);
        GrpcScenarios.tryCall(stub, 2000); // connect before measuring
        long a0 = backend.attempts();
        long calls =
            offered(
                rate,
                length,
                () -> {
                  for (int attempt = 1; attempt <= 3; attempt++) {
                    if (GrpcScenarios.tryCall(stub, 2000)) {
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
        long lifelineCalls;
        long a1;
        try (ChannelPool pool = Channels.plaintextPool();
            LifelineChannel lease = pool.lease(backend.target())) {
          LifelineCalls lifeline =
              LifelineCalls.builder()
                  .service("item")
                  .retryPolicy(RetryPolicy.defaults())
                  .circuitBreakers(CircuitBreakers.disabled())
                  .meterRegistry(new SimpleMeterRegistry())
                  .build();
          ItemServiceGrpc.ItemServiceBlockingStub life =
              ItemServiceGrpc.newBlockingStub(
                  ClientInterceptors.intercept(lease, lifeline.interceptor()));
          GrpcScenarios.tryCall(life, 2000);
          a1 = backend.attempts();
          lifelineCalls = offered(rate, length, () -> GrpcScenarios.tryCall(life, 2000));
        }
        long lifelineAttempts = backend.attempts() - a1;
        double amplification = lifelineAttempts / (double) lifelineCalls;
        report.result(
            "lifeline retry (3 attempts) with budget",
            "calls",
            lifelineCalls,
            "attempts",
            lifelineAttempts,
            "amplification",
            amplification);
        report.ratio("amplification_lifeline", amplification);
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
    ExecutorService pool = Executors.newFixedThreadPool(64);
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
}
