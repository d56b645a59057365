package dev.lifeline.demo.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.internal.Check;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * Per-second counters of the demo workload and the faults injected. Thread-safe: workers record
 * concurrently; one ticker thread closes each second. The per-service maps are built in the
 * constructor and never change shape; their counters are atomic.
 */
public final class Timeline {

  /** How a workload call ended for its user. */
  public enum Outcome {
    /** The service answered. */
    OK,
    /** The service failed, and the user got a fallback (a cached copy): served, but degraded. */
    DEGRADED,
    /** The call failed after everything Lifeline tried. */
    FAILED
  }

  /**
   * One closed second.
   *
   * @param second seconds since the start
   * @param calls calls completed in that second
   * @param degraded calls answered with a fallback in that second
   * @param failed calls that failed after all attempts
   * @param byService calls completed in that second, per service (every service, 0 included)
   * @param retries extra attempts
   * @param notActive NOT_ACTIVE answers seen
   * @param p99Millis p99 latency in ms
   * @param breaker the Storage breaker state at the end of the second
   * @param active the active OrderService instance at the end of the second
   */
  public record Second(
      int second,
      long calls,
      long degraded,
      long failed,
      Map<String, Long> byService,
      long retries,
      long notActive,
      double p99Millis,
      String breaker,
      String active) {}

  /**
   * One injected fault.
   *
   * @param name what happened
   * @param service the service it hit
   * @param startMillis when it was injected, ms since the start
   * @param endMillis when the demo measured its recovery, ms since the start; -1 if it did not
   */
  public record Fault(String name, String service, long startMillis, long endMillis) {}

  private final long startNanos = System.nanoTime();
  private final List<String> services;
  private final AtomicLong calls = new AtomicLong();
  private final AtomicLong degraded = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong totalCalls = new AtomicLong();
  private final AtomicLong totalDegraded = new AtomicLong();
  private final AtomicLong totalFailed = new AtomicLong();
  private final AtomicLong totalRetries = new AtomicLong();
  private final AtomicLong totalNotActive = new AtomicLong();
  private final Recorder latency = new Recorder(1_000L, 600_000_000_000L, 3);

  @GuardedBy("this")
  private final List<Second> seconds = new ArrayList<>();

  @GuardedBy("this")
  private final List<Fault> faults = new ArrayList<>();

  private final ConcurrentHashMap<String, Long> lastSuccess = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> secondByService = new LinkedHashMap<>();
  // Per service, a count per outcome; every service and outcome is in from the start.
  private final Map<String, Map<Outcome, AtomicLong>> totalByService = new LinkedHashMap<>();

  /** A timeline of the workload over {@code services}, starting now. */
  public Timeline(List<String> services) {
    this.services = List.copyOf(services);
    for (String s : this.services) {
      secondByService.put(s, new AtomicLong());
      Map<Outcome, AtomicLong> m = new EnumMap<>(Outcome.class);
      for (Outcome o : Outcome.values()) {
        m.put(o, new AtomicLong());
      }
      totalByService.put(s, m);
    }
  }

  /** The services, in order. */
  public List<String> services() {
    return services;
  }

  /** Milliseconds since the start. */
  public long nowMillis() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /**
   * Records one finished call of {@code service}, one of {@link #services()}.
   *
   * @throws IllegalArgumentException if the service is not one of them
   */
  public void record(String service, long nanos, Outcome outcome) {
    AtomicLong second = secondByService.get(service);
    if (second == null) {
      throw Check.invalid("service", service, "one of " + services);
    }
    second.incrementAndGet();
    total(service, outcome).incrementAndGet();
    calls.incrementAndGet();
    totalCalls.incrementAndGet();
    latency.recordValue(Math.max(1_000L, Math.min(nanos, 600_000_000_000L)));
    switch (outcome) {
      case OK -> lastSuccess.put(service, nowMillis());
      case DEGRADED -> {
        degraded.incrementAndGet();
        totalDegraded.incrementAndGet();
      }
      case FAILED -> {
        failed.incrementAndGet();
        totalFailed.incrementAndGet();
      }
    }
  }

  /** Marks a fault injected now. */
  public synchronized void fault(String name, String service) {
    faults.add(new Fault(name, service, nowMillis(), -1));
  }

  /**
   * Marks the recovery of the last fault named {@code name}, measured at {@code atMillis}.
   *
   * @throws IllegalArgumentException if no such fault was injected
   */
  public synchronized void recovered(String name, long atMillis) {
    for (int i = faults.size() - 1; i >= 0; i--) {
      Fault f = faults.get(i);
      if (f.name().equals(name)) {
        faults.set(i, new Fault(f.name(), f.service(), f.startMillis(), atMillis));
        return;
      }
    }
    throw Check.invalid("fault", name, "the name of a fault injected before");
  }

  /**
   * Closes the current second and returns it.
   *
   * @param retriesTotal retries counted by Lifeline's meters since the start
   * @param notActiveTotal NOT_ACTIVE answers counted by Lifeline's meters since the start
   */
  public synchronized Second closeSecond(
      String breaker, String active, long retriesTotal, long notActiveTotal) {
    long r = retriesTotal - totalRetries.getAndSet(retriesTotal);
    long na = notActiveTotal - totalNotActive.getAndSet(notActiveTotal);
    Map<String, Long> byService = new LinkedHashMap<>();
    secondByService.forEach((k, v) -> byService.put(k, v.getAndSet(0)));
    Second s =
        new Second(
            seconds.size() + 1,
            calls.getAndSet(0),
            degraded.getAndSet(0),
            failed.getAndSet(0),
            Collections.unmodifiableMap(byService),
            r,
            na,
            latency.getIntervalHistogram().getValueAtPercentile(99) / 1e6,
            breaker,
            active);
    seconds.add(s);
    return s;
  }

  /** The closed seconds so far. */
  public synchronized List<Second> seconds() {
    return List.copyOf(seconds);
  }

  /** The faults so far. */
  public synchronized List<Fault> faults() {
    return List.copyOf(faults);
  }

  /** Calls finished so far. */
  public long totalCalls() {
    return totalCalls.get();
  }

  /** Calls failed so far. */
  public long totalFailed() {
    return totalFailed.get();
  }

  /** Extra attempts so far. */
  public long totalRetries() {
    return totalRetries.get();
  }

  /** NOT_ACTIVE answers so far. */
  public long totalNotActive() {
    return totalNotActive.get();
  }

  /** Calls answered with a fallback so far. */
  public long totalDegraded() {
    return totalDegraded.get();
  }

  /** Calls of {@code service} that ended with {@code outcome} so far. */
  public long count(String service, Outcome outcome) {
    return total(service, outcome).get();
  }

  private AtomicLong total(String service, Outcome outcome) {
    Map<Outcome, AtomicLong> totals = totalByService.get(service);
    if (totals == null) {
      throw Check.invalid("service", service, "one of " + services);
    }
    // The constructor put a counter in for every outcome.
    return Objects.requireNonNull(totals.get(outcome));
  }

  /** When {@code service} last succeeded, ms since the start, or -1. */
  public long lastSuccessMillis(String service) {
    return lastSuccess.getOrDefault(service, -1L);
  }
}
