package dev.lifeline.demo.internal;

import dev.lifeline.core.CircuitBreakers;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's report: the line printed each second, the summary at the end, the HTML report and the
 * final {@code demo: N calls, F failed, report: PATH} line. Stateless; what it reads (registry,
 * timeline) is thread-safe.
 */
final class DemoReport {

  private DemoReport() {}

  /** Prints the summary, writes the HTML report and prints the final line. */
  static void finish(
      Cli cli,
      MeterRegistry registry,
      Timeline timeline,
      List<String> services,
      List<FaultSchedule.Recovery> recoveries,
      PrintStream out)
      throws IOException {
    long channels = (long) sum(registry, "lifeline.channel.creations");
    List<String[]> summary = new ArrayList<>();
    summary.add(
        new String[] {
          "calls",
          timeline.totalCalls()
              + " ("
              + (timeline.totalCalls() - timeline.totalDegraded() - timeline.totalFailed())
              + " ok, "
              + timeline.totalDegraded()
              + " degraded, "
              + timeline.totalFailed()
              + " failed)"
        });
    for (String svc : services) {
      summary.add(new String[] {"  " + svc, serviceSummary(timeline, svc)});
    }
    summary.add(new String[] {"retries", Long.toString(timeline.totalRetries())});
    summary.add(new String[] {"NOT_ACTIVE answers", Long.toString(timeline.totalNotActive())});
    for (FaultSchedule.Recovery r : recoveries) {
      summary.add(
          new String[] {
            "recovery: " + r.fault(),
            r.recoveryMs() < 0 ? "not recovered" : r.recoveryMs() + " ms after " + r.measuredFrom()
          });
    }
    summary.add(
        new String[] {
          "channels created (Lifeline pool, incl. channel story)", Long.toString(channels)
        });
    out.println();
    out.println("summary");
    for (String[] row : summary) {
      out.printf(Locale.ROOT, "  %-54s %s%n", row[0], row[1]);
    }
    String stamp =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC)
            .format(Instant.now());
    Path report = cli.reportDir().resolve("demo-" + stamp + ".html").toAbsolutePath().normalize();
    HtmlReport.write(
        report, timeline.seconds(), timeline.faults(), summary, "Lifeline demo " + stamp + " UTC");
    out.println(
        "demo: "
            + timeline.totalCalls()
            + " calls, "
            + timeline.totalFailed()
            + " failed, "
            + timeline.totalDegraded()
            + " degraded, report: "
            + report);
  }

  static String line(Timeline.Second s) {
    List<String> waiting = waitingOn(s.byService());
    return String.format(
            Locale.ROOT,
            "%4ds  calls/s %4d  p99 %7.1f ms  degraded %3d  failed %3d  retries %3d  NOT_ACTIVE %3d"
                + "  breaker %-9s  active %s",
            s.second(),
            s.calls(),
            s.p99Millis(),
            s.degraded(),
            s.failed(),
            s.retries(),
            s.notActive(),
            s.breaker(),
            s.active())
        // A service whose workers finished no call this second is waiting on it (a restart or
        // failover in progress, retried within the 5 s deadline): say so instead of showing 0.
        + (waiting.isEmpty() ? "" : "  waiting on: " + String.join(", ", waiting));
  }

  /**
   * The services that finished no call this second, in the timeline's order: they are waiting on a
   * restart or failover (retried within the 5 s deadline), which the line says instead of 0.
   */
  static List<String> waitingOn(Map<String, Long> callsByService) {
    List<String> waiting = new ArrayList<>();
    callsByService.forEach(
        (svc, n) -> {
          if (n == 0) {
            waiting.add(svc);
          }
        });
    return waiting;
  }

  /** The worst state among {@code breakers}: see {@link #worst}. */
  static String breakerState(CircuitBreakers breakers) {
    return worst(
        breakers.registry().getAllCircuitBreakers().stream()
            .map(CircuitBreaker::getState)
            .toList());
  }

  /**
   * The state the status line shows for a set of breakers: OPEN if any is open (calls are being
   * refused), else the last state that is not CLOSED (a half-open trial, or a forced state), else
   * CLOSED.
   */
  static String worst(List<CircuitBreaker.State> states) {
    String state = "CLOSED";
    for (CircuitBreaker.State s : states) {
      if (s == CircuitBreaker.State.OPEN) {
        return "OPEN";
      }
      if (s != CircuitBreaker.State.CLOSED) {
        state = s.name();
      }
    }
    return state;
  }

  private static double sum(MeterRegistry registry, String name) {
    double n = 0;
    for (Meter m : registry.find(name).meters()) {
      if (m instanceof Counter c) {
        n += c.count();
      } else if (m instanceof DistributionSummary d) {
        n += d.totalAmount();
      }
    }
    return n;
  }

  static long retries(MeterRegistry registry) {
    return (long) (sum(registry, "lifeline.retries") + sum(registry, "lifeline.sticky.retries"));
  }

  static long notActive(MeterRegistry registry) {
    return (long) sum(registry, "lifeline.sticky.not_active");
  }

  /** One summary cell: what happened to {@code service}'s calls. */
  private static String serviceSummary(Timeline timeline, String service) {
    long ok = timeline.count(service, Timeline.Outcome.OK);
    long degraded = timeline.count(service, Timeline.Outcome.DEGRADED);
    long failed = timeline.count(service, Timeline.Outcome.FAILED);
    return String.format(
        Locale.ROOT,
        "%d calls: %d ok, %d degraded%s, %d failed",
        ok + degraded + failed,
        ok,
        degraded,
        degraded > 0 ? " (served from cache)" : "",
        failed);
  }
}
