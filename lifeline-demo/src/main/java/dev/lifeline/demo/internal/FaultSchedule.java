package dev.lifeline.demo.internal;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The demo's fault schedule: an ItemService restart, a crash and a graceful handover of the active
 * OrderService, and a burst of Storage 503s, each at a fixed share of the run, each measuring and
 * printing its recovery. The schedule's rules (when each fault starts, what counts as recovered)
 * are pure functions, tested as tables ({@code FaultScheduleTest}). Not thread-safe: the script
 * runs on one thread; {@code recoveries} must be thread-safe, as the report reads it.
 */
final class FaultSchedule {

  /** When each fault starts, in percent of the run: spaced so each recovers before the next. */
  static final int ITEM_RESTART_PERCENT = 15;

  static final int CRASH_PERCENT = 35;
  static final int HANDOVER_PERCENT = 55;
  static final int STORAGE_BURST_PERCENT = 70;

  private FaultSchedule() {}

  /**
   * A fault's recovery.
   *
   * @param fault what happened
   * @param recoveryMs milliseconds until the service answered again, or -1 if it did not
   * @param measuredFrom what the time is measured from
   */
  record Recovery(String fault, long recoveryMs, String measuredFrom) {}

  /**
   * A scripted fault.
   *
   * @param atMillis when it starts, ms after the workload starts
   * @param action what it does, including waiting for the recovery
   */
  record Fault(long atMillis, FaultAction action) {}

  /** The body of a fault. */
  @FunctionalInterface
  interface FaultAction {
    void run() throws Exception;
  }

  /** When a fault at {@code percent} of a run of {@code endMillis} starts. */
  static long at(long endMillis, int percent) {
    return endMillis * percent / 100;
  }

  /**
   * Whether the group recovered from losing {@code old} at {@code t0}: an order served since then
   * by another member. An order {@code old} served after the fault (a late answer) does not count.
   */
  static boolean servedByAnother(Demo.Served last, long t0, String old) {
    return last.millis() >= t0 && !last.by().equals(old);
  }

  /** Milliseconds from {@code from} to {@code at}, or -1 if it never happened ({@code at < 0}). */
  static long recoveryMs(long from, long at) {
    return at < 0 ? -1 : at - from;
  }

  /** The run's faults for a run of {@code endMillis}; each appends its recovery. */
  static List<Fault> script(
      DemoSetup.World w,
      long endMillis,
      List<Recovery> recoveries,
      Supplier<String> breaker,
      PrintStream out) {
    Timeline timeline = w.timeline();
    List<Fault> script = new ArrayList<>();
    script.add(
        new Fault(
            at(endMillis, ITEM_RESTART_PERCENT),
            () -> {
              timeline.fault("ItemService restart", "item");
              out.println("fault: ItemService stops for 1.5 s, then restarts on the same port");
              w.item().stop();
              Thread.sleep(1500);
              w.item().start();
              long back = timeline.nowMillis();
              long ms = awaitSuccess(timeline, "item", back, out);
              if (ms >= 0) {
                timeline.recovered("ItemService restart", back + ms);
              }
              recoveries.add(new Recovery("ItemService restart", ms, "server back"));
            }));
    script.add(
        new Fault(
            at(endMillis, CRASH_PERCENT),
            () -> failover(w.orders(), timeline, w.lastOrder(), recoveries, out, true)));
    script.add(
        new Fault(
            at(endMillis, HANDOVER_PERCENT),
            () -> failover(w.orders(), timeline, w.lastOrder(), recoveries, out, false)));
    script.add(
        new Fault(
            at(endMillis, STORAGE_BURST_PERCENT),
            () -> {
              timeline.fault("Storage 5xx burst", "storage");
              out.println("fault: Storage answers 503 for 3 s");
              w.storage().failing(true);
              Thread.sleep(3000);
              w.storage().failing(false);
              long back = timeline.nowMillis();
              long closedAt = -1;
              long bound = back + 20_000;
              while (timeline.nowMillis() < bound) {
                if ("CLOSED".equals(breaker.get())) {
                  closedAt = timeline.nowMillis();
                  break;
                }
                Thread.sleep(10);
              }
              long ms = closedAt < 0 ? -1 : closedAt - back;
              if (closedAt >= 0) {
                timeline.recovered("Storage 5xx burst", closedAt);
              }
              out.println(
                  ms < 0
                      ? "recovered: the Storage breaker did not close within 20 s"
                      : "recovered: the Storage breaker is CLOSED again "
                          + ms
                          + " ms after the burst");
              recoveries.add(new Recovery("Storage 5xx burst (breaker closed)", ms, "burst end"));
            }));
    return script;
  }

  /**
   * Runs {@code script} in order on this thread while {@code running}; each fault waits for its
   * time.
   */
  static void run(List<Fault> script, Timeline timeline, AtomicBoolean running, PrintStream out) {
    try {
      for (Fault f : script) {
        while (running.get() && timeline.nowMillis() < f.atMillis()) {
          Thread.sleep(10);
        }
        if (!running.get()) {
          return;
        }
        f.action().run();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      out.println("fault script stopped: " + e);
    }
  }

  private static void failover(
      OrderGroup orders,
      Timeline timeline,
      AtomicReference<Demo.Served> lastOrder,
      List<Recovery> recoveries,
      PrintStream out,
      boolean crash)
      throws Exception {
    FailoverScenario.awaitActive(orders);
    String name = crash ? "active OrderService crash" : "graceful handover";
    timeline.fault(name, "order");
    long t0 = timeline.nowMillis();
    String old = crash ? orders.crashActive() : orders.handOver();
    out.println(
        crash
            ? "fault: active OrderService " + old + " crashes without releasing its lease"
            : "fault: active OrderService " + old + " hands over gracefully");
    long ms = -1;
    while (timeline.nowMillis() < t0 + 15_000) {
      Demo.Served s = lastOrder.get();
      if (s != null && servedByAnother(s, t0, old)) {
        ms = s.millis() - t0;
        timeline.recovered(name, s.millis());
        out.println("recovered: orders served by " + s.by() + " " + ms + " ms after the fault");
        break;
      }
      Thread.sleep(5);
    }
    recoveries.add(new Recovery(name, ms, "fault"));
    orders.restart(old);
    out.println("restart: " + old + " is back as a standby");
  }

  /** Waits up to 15 s for a success of {@code service} after {@code fromMillis}. */
  private static long awaitSuccess(
      Timeline timeline, String service, long fromMillis, PrintStream out)
      throws InterruptedException {
    long bound = fromMillis + 15_000;
    while (timeline.nowMillis() < bound) {
      long last = timeline.lastSuccessMillis(service);
      if (last >= fromMillis) {
        long ms = last - fromMillis;
        out.println("recovered: " + service + " answers again " + ms + " ms later");
        return ms;
      }
      Thread.sleep(10);
    }
    out.println("recovered: " + service + " did not answer within 15 s");
    return -1;
  }
}
