package dev.lifeline.demo.internal;

import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.InMemoryLeaseStore;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.active.nats.NatsLeaseStore;
import dev.lifeline.examples.order.proto.OrderServiceGrpc;
import dev.lifeline.examples.order.proto.ProcessOrderRequest;
import dev.lifeline.examples.order.proto.ProcessOrderResponse;
import dev.lifeline.grpc.StickyGroupChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * The {@code failover} scenario: N crash and N graceful failovers of a 3-instance single-active
 * group under load, in memory or over NATS. Stateless.
 */
final class FailoverScenario {

  private static final int CALLERS = 4;

  private FailoverScenario() {}

  /**
   * The last successful exclusive call.
   *
   * @param nanos when it completed
   * @param by the instance that processed it
   */
  record Served(long nanos, String by) {}

  static BenchReport run(Bench.Timing t, Cli cli) throws Exception {
    if (cli.nats().isPresent()) {
      Nats.requireReachable(cli.nats().get());
    }
    int rounds = t.quick() ? 1 : 5;
    BenchReport report = new BenchReport("failover");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String storeName = cli.nats().isPresent() ? "nats" : "in memory";
    try (LeaseStore store = store(cli.nats().orElse(null));
        OrderGroup group = new OrderGroup(3, store, ActiveOptions.defaults(), registry).start()) {
      StickyGroupChannel.Builder cb = StickyGroupChannel.builder("orders").meterRegistry(registry);
      for (String a : group.addresses()) {
        cb.member(a);
      }
      try (StickyGroupChannel channel = cb.build()) {
        OrderServiceGrpc.OrderServiceBlockingStub stub = OrderServiceGrpc.newBlockingStub(channel);
        awaitActive(group);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<Served> last = new AtomicReference<>(new Served(System.nanoTime(), "-"));
        AtomicLong calls = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong overlaps = new AtomicLong();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
          int caller = i;
          threads.add(
              daemon(
                  "failover-caller-" + i,
                  () -> {
                    long n = 0;
                    while (running.get()) {
                      try {
                        ProcessOrderResponse r =
                            stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                                .processOrder(
                                    ProcessOrderRequest.newBuilder()
                                        .setOrderId("o-" + caller + "-" + n++)
                                        .setAmountCents(100)
                                        .build());
                        last.set(new Served(System.nanoTime(), r.getProcessedBy()));
                      } catch (RuntimeException e) {
                        if (failed.incrementAndGet() <= 5) {
                          failures.add(String.valueOf(e.getMessage()));
                        }
                      }
                      calls.incrementAndGet();
                      pause(5);
                    }
                  }));
        }
        // Samples every member's own belief; two at once is a split brain.
        threads.add(
            daemon(
                "failover-overlap-monitor",
                () -> {
                  boolean overlapping = false;
                  while (running.get()) {
                    boolean now = group.activeCount() > 1;
                    if (now && !overlapping) {
                      overlaps.incrementAndGet();
                    }
                    overlapping = now;
                    pause(1);
                  }
                }));
        threads.forEach(Thread::start);
        Histogram crash = Load.histogram();
        Histogram graceful = Load.histogram();
        long lost = 0;
        for (int round = 0; round < rounds; round++) {
          lost += failover(group, last, crash, true) ? 0 : 1;
          lost += failover(group, last, graceful, false) ? 0 : 1;
        }
        running.set(false);
        for (Thread th : threads) {
          th.join(10_000);
        }
        report.result(
            "crash (no lease release), " + storeName,
            "failovers",
            crash.getTotalCount(),
            "p50_ms",
            crash.getValueAtPercentile(50) / 1e6,
            "p99_ms",
            crash.getValueAtPercentile(99) / 1e6);
        report.result(
            "graceful handover, " + storeName,
            "failovers",
            graceful.getTotalCount(),
            "p50_ms",
            graceful.getValueAtPercentile(50) / 1e6,
            "p99_ms",
            graceful.getValueAtPercentile(99) / 1e6);
        report.result("client calls", "calls", calls.get(), "failed", failed.get());
        report.figure("crash_p50_ms", ms(crash, 50));
        report.figure("crash_p99_ms", ms(crash, 99));
        report.figure("graceful_p50_ms", ms(graceful, 50));
        report.figure("graceful_p99_ms", ms(graceful, 99));
        report.count("failed_calls", failed.get());
        report.count("overlapping_active_windows", overlaps.get());
        failures.forEach(f -> report.note("failed call: " + f));
        if (lost > 0) {
          report.note(lost + " failover(s) did not complete within 15 s");
        }
        report.note(
            "failover time: from the fault to the first call served by another instance; lease ttl "
                + ActiveOptions.defaults().ttl().toMillis()
                + " ms");
      }
    }
    return report;
  }

  private static Double ms(Histogram h, double p) {
    return h.getTotalCount() == 0 ? null : h.getValueAtPercentile(p) / 1e6;
  }

  /** Injects one fault; records the failover time; restarts the instance. */
  private static boolean failover(
      OrderGroup group, AtomicReference<Served> last, Histogram into, boolean crash)
      throws Exception {
    awaitActive(group);
    long t0 = System.nanoTime();
    String old = crash ? group.crashActive() : group.handOver();
    long bound = t0 + Duration.ofSeconds(15).toNanos();
    boolean done = false;
    while (System.nanoTime() < bound) {
      Served s = last.get();
      if (s.nanos() > t0 && !s.by().equals(old)) {
        Load.record(into, s.nanos() - t0);
        done = true;
        break;
      }
      Thread.sleep(1);
    }
    group.restart(old);
    Thread.sleep(200);
    return done;
  }

  static void awaitActive(OrderGroup group) throws InterruptedException {
    long bound = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < bound && "-".equals(group.activeId())) {
      Thread.sleep(5);
    }
  }

  static LeaseStore store(URI nats) {
    if (nats == null) {
      return InMemoryLeaseStore.create();
    }
    return NatsLeaseStore.builder(nats.toString())
        .bucket("lifeline-bench-" + ProcessHandle.current().pid())
        .build();
  }

  private static Thread daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
