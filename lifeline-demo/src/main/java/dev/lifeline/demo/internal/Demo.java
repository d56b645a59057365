package dev.lifeline.demo.internal;

import com.sun.net.httpserver.HttpServer;
import dev.lifeline.core.ExhaustedCall;
import dev.lifeline.grpc.ChannelPool;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code ./lifeline demo}: starts the example services in this JVM on loopback, runs a client
 * workload through them while scripted faults happen, prints one line per second, serves Prometheus
 * metrics and a status page, and ends with a summary, an HTML report and the line {@code demo: N
 * calls, F failed, report: PATH}. Not thread-safe; one run at a time.
 */
public final class Demo {

  /** Workers per service: each service has its own, so one outage does not stall the others. */
  private static final int WORKERS_PER_SERVICE = 1;

  private static final long CALL_PAUSE_MS = 20;

  /** At most this many failed calls print their report line; the rest are counted. */
  private static final int FAILURES_PRINTED = 20;

  // Each call has a 5 s deadline; the wait bound only guards against a call never completing.

  /** A call of the workload; returns OK or DEGRADED, throws when it failed for its user. */
  @FunctionalInterface
  interface DemoCall {
    Timeline.Outcome call() throws Exception;
  }

  private Demo() {}

  /**
   * The last order served.
   *
   * @param millis when, ms since the workload started
   * @param by the instance that processed it
   */
  record Served(long millis, String by) {}

  /** Runs the demo described by {@code cli}; returns the exit status. */
  public static int run(Cli cli, PrintStream out) throws Exception {
    if (cli.nats().isPresent()) {
      Nats.requireReachable(cli.nats().get());
    }
    Duration duration = cli.duration();
    Random random = new Random(cli.seed());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    List<FaultSchedule.Recovery> recoveries = new CopyOnWriteArrayList<>();
    List<AutoCloseable> closeables = new ArrayList<>();
    try {
      out.println(
          "lifeline demo: "
              + duration.toSeconds()
              + " s, seed "
              + cli.seed()
              + ", lease store "
              + (cli.nats().isPresent() ? cli.nats().get() : "in memory"));
      // Every service runs on loopback in this JVM, without TLS.
      ChannelPool pool = Channels.plaintextPool(registry);
      closeables.add(pool);
      ChannelStory.run(out, pool, registry);

      DemoSetup.World world = DemoSetup.start(cli, pool, registry, random, closeables, out);
      Timeline timeline = world.timeline();
      List<String> services = world.services();
      List<DemoCall> calls = world.calls();
      Supplier<String> breaker = () -> DemoReport.breakerState(world.storageBreakers());
      Supplier<String> active = world.orders()::activeId;
      HttpServer status =
          StatusPage.start(
              registry,
              timeline,
              world.orders(),
              world.serviceRows(),
              List.of(world.breakers(), world.storageBreakers()));
      closeables.add(() -> status.stop(0));
      String base = "http://127.0.0.1:" + status.getAddress().getPort();
      out.println("metrics: " + base + "/metrics  status: " + base + "/");

      AtomicBoolean running = new AtomicBoolean(true);
      Failures failures = new Failures(out);
      List<Thread> workers = new ArrayList<>();
      for (int k = 0; k < services.size(); k++) {
        for (int w = 0; w < WORKERS_PER_SERVICE; w++) {
          String service = services.get(k);
          DemoCall call = calls.get(k);
          Thread t =
              new Thread(
                  () -> work(service, call, timeline, failures, running),
                  "demo-" + service + "-" + w);
          t.setDaemon(true);
          workers.add(t);
          t.start();
        }
      }

      long endMillis = duration.toMillis();
      List<FaultSchedule.Fault> script =
          FaultSchedule.script(world, endMillis, recoveries, breaker, out);
      Thread faults =
          new Thread(() -> FaultSchedule.run(script, timeline, running, out), "demo-faults");
      faults.setDaemon(true);
      faults.start();
      long nextSecond = 1000;
      // The run lasts the duration; a fault still running finishes first, so that its recovery is
      // measured and printed like the rest.
      while (timeline.nowMillis() < endMillis || faults.isAlive()) {
        long now = timeline.nowMillis();
        if (now > endMillis + 60_000) {
          break;
        }
        if (now >= nextSecond) {
          Timeline.Second sec =
              timeline.closeSecond(
                  breaker.get(),
                  active.get(),
                  DemoReport.retries(registry),
                  DemoReport.notActive(registry));
          out.println(DemoReport.line(sec));
          nextSecond += 1000;
        } else {
          Thread.sleep(Math.min(50, nextSecond - now));
        }
      }
      running.set(false);
      for (Thread t : workers) {
        t.join(10_000);
      }
      timeline.closeSecond(
          breaker.get(),
          active.get(),
          DemoReport.retries(registry),
          DemoReport.notActive(registry));

      DemoReport.finish(cli, registry, timeline, services, recoveries, out);
      return 0;
    } finally {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception e) {
          // Closing the rest matters more than one failed close at exit.
        }
      }
      registry.close();
    }
  }

  private static void work(
      String service, DemoCall call, Timeline timeline, Failures failures, AtomicBoolean running) {
    while (running.get()) {
      long t0 = System.nanoTime();
      Timeline.Outcome outcome;
      try {
        outcome = call.call();
      } catch (Exception e) {
        outcome = Timeline.Outcome.FAILED;
        failures.print(service, timeline.nowMillis(), e);
      }
      timeline.record(service, System.nanoTime() - t0, outcome);
      try {
        Thread.sleep(CALL_PAUSE_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Prints why a call failed: the {@code LifelineCallException} or {@code LifelineHttpException}
   * report line (attempts, stop reason, target), or the exception itself when Lifeline did not
   * produce the failure. The first {@value #FAILURES_PRINTED} are printed. Thread-safe.
   */
  static final class Failures {
    private final PrintStream out;
    private final AtomicLong count = new AtomicLong();

    Failures(PrintStream out) {
      this.out = out;
    }

    void print(String service, long millis, Throwable e) {
      long n = count.incrementAndGet();
      if (n > FAILURES_PRINTED) {
        return;
      }
      out.printf(
          Locale.ROOT,
          "failed: %s at %.1f s: %s%s%n",
          service,
          millis / 1000.0,
          reason(e),
          n == FAILURES_PRINTED ? " (further failures are counted, not printed)" : "");
    }

    /** The report line of the Lifeline failure in {@code e}'s causes, else {@code e} itself. */
    static String reason(Throwable e) {
      for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
        if (c instanceof ExhaustedCall x) {
          return x.report().message();
        }
      }
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }
}
