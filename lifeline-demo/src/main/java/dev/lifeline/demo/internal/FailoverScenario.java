package dev.lifeline.demo.internal;

import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.InMemoryLeaseStore;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.active.nats.NatsLeaseStore;
import dev.lifeline.examples.order.proto.OrderServiceGrpc;
import dev.lifeline.examples.order.proto.ProcessOrderRequest;
import dev.lifeline.examples.order.proto.ProcessOrderResponse;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.StickyGroupChannel;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * The {@code failover} scenario: N crash and N graceful failovers of a 3-instance single-active
 * group under load, in memory or over NATS. Two clients call the group through the same faults:
 * Lifeline's {@link StickyGroupChannel}, and as the baseline the original's client policy (on
 * NOT_ACTIVE or UNAVAILABLE, the next instance after 0, 100 and 200 ms with ±10 % jitter, 3
 * retries, no leader hints). Stateless.
 */
final class FailoverScenario {

  private static final int CALLERS = 4;

  /** The deadline of every call, both clients. */
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  private FailoverScenario() {}

  /**
   * The last successful exclusive call of one client.
   *
   * @param nanos when it completed
   * @param by the instance that processed it
   */
  record Served(long nanos, String by) {}

  /** What one client did: its last success, its call counts and its first few failures. */
  private static final class Client {
    final String name;
    volatile Served last = new Served(System.nanoTime(), "-");
    final AtomicLong calls = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final Queue<String> failures = new ConcurrentLinkedQueue<>();
    final Histogram crash = Load.histogram();
    final Histogram graceful = Load.histogram();
    long lost;

    Client(String name) {
      this.name = name;
    }

    void served(ProcessOrderResponse r) {
      last = new Served(System.nanoTime(), r.getProcessedBy());
      calls.incrementAndGet();
    }

    void failed(RuntimeException e) {
      if (failed.incrementAndGet() <= 3) {
        failures.add(String.valueOf(e.getMessage()));
      }
      calls.incrementAndGet();
    }
  }

  static BenchReport run(Bench.Timing t, Cli cli) throws Exception {
    if (cli.nats().isPresent()) {
      Nats.requireReachable(cli.nats().get());
    }
    int rounds = t.quick() ? 1 : 5;
    BenchReport report = new BenchReport("failover");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String storeName = cli.nats().isPresent() ? "nats" : "in memory";
    Client lifeline = new Client("Lifeline StickyGroupChannel");
    Client baseline = new Client("original's client policy");
    List<ManagedChannel> plain = new ArrayList<>();
    try (LeaseStore store = store(cli.nats().orElse(null));
        ChannelPool pool = Channels.plaintextPool(registry);
        OrderGroup group = new OrderGroup(3, store, ActiveOptions.defaults(), registry).start()) {
      StickyGroupChannel.Builder cb =
          StickyGroupChannel.builder("orders")
              .channelPool(pool)
              .callPolicy(
                  StickyGroupChannel.defaultPolicy("orders").meterRegistry(registry).build());
      List<OrderServiceGrpc.OrderServiceBlockingStub> members = new ArrayList<>();
      for (String a : group.addresses()) {
        cb.member(a);
        ManagedChannel ch = Grpc.newChannelBuilder(a, InsecureChannelCredentials.create()).build();
        plain.add(ch);
        members.add(OrderServiceGrpc.newBlockingStub(ch));
      }
      try (StickyGroupChannel channel = cb.build()) {
        OrderServiceGrpc.OrderServiceBlockingStub sticky =
            OrderServiceGrpc.newBlockingStub(channel);
        awaitActive(group);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong overlaps = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
          int caller = i;
          threads.add(
              daemon(
                  "failover-lifeline-" + i,
                  () ->
                      callLoop(
                          running,
                          lifeline,
                          caller,
                          req -> sticky.withDeadlineAfter(5, TimeUnit.SECONDS).processOrder(req))));
          int[] at = {i % members.size()};
          threads.add(
              daemon(
                  "failover-baseline-" + i,
                  () ->
                      callLoop(
                          running, baseline, caller, req -> originalPolicy(members, at, req))));
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
        for (int round = 0; round < rounds; round++) {
          failover(group, true, lifeline, baseline);
          failover(group, false, lifeline, baseline);
        }
        running.set(false);
        for (Thread th : threads) {
          th.join(10_000);
        }
        for (Client c : List.of(baseline, lifeline)) {
          timeResult(report, c.name + ": crash (no lease release), " + storeName, c.crash);
          timeResult(report, c.name + ": graceful handover, " + storeName, c.graceful);
          report.result(c.name + ": calls", "calls", c.calls.get(), "failed", c.failed.get());
        }
        report.ratio("crash_p50_vs_baseline", ratio(baseline.crash, lifeline.crash));
        report.ratio("graceful_p50_vs_baseline", ratio(baseline.graceful, lifeline.graceful));
        report.figure("crash_p50_ms", ms(lifeline.crash, 50));
        report.figure("crash_p99_ms", ms(lifeline.crash, 99));
        report.figure("graceful_p50_ms", ms(lifeline.graceful, 50));
        report.figure("graceful_p99_ms", ms(lifeline.graceful, 99));
        report.figure("baseline_crash_p50_ms", ms(baseline.crash, 50));
        report.figure("baseline_graceful_p50_ms", ms(baseline.graceful, 50));
        report.count("failed_calls", lifeline.failed.get());
        report.count("baseline_failed_calls", baseline.failed.get());
        report.count("overlapping_active_windows", overlaps.get());
        for (Client c : List.of(lifeline, baseline)) {
          c.failures.forEach(f -> report.note(c.name + " failed call: " + f));
          if (c.lost > 0) {
            report.note(c.name + ": " + c.lost + " failover(s) not seen within 15 s");
          }
        }
        report.note(
            "failover time: from the fault to the client's first call served by another instance;"
                + " lease ttl "
                + ActiveOptions.defaults().ttl().toMillis()
                + " ms; call deadline "
                + DEADLINE.toMillis()
                + " ms; both clients run through the same faults");
      }
    } finally {
      plain.forEach(ManagedChannel::shutdownNow);
    }
    return report;
  }

  private static void callLoop(
      AtomicBoolean running,
      Client client,
      int caller,
      Function<ProcessOrderRequest, ProcessOrderResponse> call) {
    long n = 0;
    while (running.get()) {
      ProcessOrderRequest req =
          ProcessOrderRequest.newBuilder()
              .setOrderId("o-" + caller + "-" + n++)
              .setAmountCents(100)
              .build();
      try {
        client.served(call.apply(req));
      } catch (RuntimeException e) {
        client.failed(e);
      }
      pause(5);
    }
  }

  /**
   * The original's client policy: on NOT_ACTIVE or UNAVAILABLE, up to 3 retries, after 0, 100 and
   * 200 ms (±10 % jitter), each on the next instance (the original's NATS queue group picked one at
   * random); no leader hint. Stays with the instance that answered.
   */
  private static ProcessOrderResponse originalPolicy(
      List<OrderServiceGrpc.OrderServiceBlockingStub> members, int[] at, ProcessOrderRequest req) {
    Deadline deadline = Deadline.after(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    StatusRuntimeException last = null;
    for (int retry = 0; retry <= 3; retry++) {
      if (retry > 1) {
        long base = 100L << (retry - 2);
        pause(Math.round(base * (0.9 + 0.2 * ThreadLocalRandom.current().nextDouble())));
      }
      try {
        return members.get(at[0]).withDeadline(deadline).processOrder(req);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
          throw e;
        }
        last = e;
        at[0] = (at[0] + 1) % members.size();
      }
    }
    throw last;
  }

  private static void timeResult(BenchReport report, String name, Histogram h) {
    report.result(name, "failovers", h.getTotalCount(), "p50_ms", ms(h, 50), "p99_ms", ms(h, 99));
  }

  private static @Nullable Double ms(Histogram h, double p) {
    return h.getTotalCount() == 0 ? null : h.getValueAtPercentile(p) / 1e6;
  }

  private static @Nullable Double ratio(Histogram baseline, Histogram lifeline) {
    Double b = ms(baseline, 50);
    Double l = ms(lifeline, 50);
    return b == null || l == null || l == 0 ? null : b / l;
  }

  /** Injects one fault; records each client's failover time; restarts the instance. */
  private static void failover(OrderGroup group, boolean crash, Client... clients)
      throws Exception {
    awaitActive(group);
    long t0 = System.nanoTime();
    String old = crash ? group.crashActive() : group.handOver();
    long bound = t0 + Duration.ofSeconds(15).toNanos();
    boolean[] done = new boolean[clients.length];
    int left = clients.length;
    while (left > 0 && System.nanoTime() < bound) {
      for (int i = 0; i < clients.length; i++) {
        Served s = clients[i].last;
        if (!done[i] && s.nanos() > t0 && !s.by().equals(old)) {
          Load.record(crash ? clients[i].crash : clients[i].graceful, s.nanos() - t0);
          done[i] = true;
          left--;
        }
      }
      Thread.sleep(1);
    }
    for (int i = 0; i < clients.length; i++) {
      if (!done[i]) {
        clients[i].lost++;
      }
    }
    group.restart(old);
    Thread.sleep(200);
  }

  static void awaitActive(OrderGroup group) throws InterruptedException {
    long bound = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < bound && "-".equals(group.activeId())) {
      Thread.sleep(5);
    }
  }

  static LeaseStore store(@Nullable URI nats) {
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
