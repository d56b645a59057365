package dev.lifeline.demo.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * Per-second counters of the demo workload and the faults injected. Thread-safe: workers record
 * concurrently; one ticker thread closes each second.
 */
public final class Timeline {

  /**
   * One closed second.
   *
   * @param second seconds since the start
   * @param calls calls completed in that second
   * @param failed calls that failed after all attempts
   * @param retries extra attempts
   * @param notActive NOT_ACTIVE answers seen
   * @param p99Millis p99 latency in ms
   * @param breaker the Storage breaker state at the end of the second
   * @param active the active OrderService instance at the end of the second
   */
  public record Second(
      int second,
      long calls,
      long failed,
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
   */
  public record Fault(String name, String service, long startMillis) {}

  private final long startNanos = System.nanoTime();
  private final AtomicLong calls = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong totalCalls = new AtomicLong();
  private final AtomicLong totalFailed = new AtomicLong();
  private final AtomicLong totalRetries = new AtomicLong();
  private final AtomicLong totalNotActive = new AtomicLong();
  private final Recorder latency = new Recorder(1_000L, 600_000_000_000L, 3);
  // Guarded by this.
  private final List<Second> seconds = new ArrayList<>();
  // Guarded by this.
  private final List<Fault> faults = new ArrayList<>();
  private final ConcurrentHashMap<String, Long> lastSuccess = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> failedByService = new ConcurrentHashMap<>();

  /** Milliseconds since the start. */
  public long nowMillis() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /** Records one finished call. */
  public void record(String service, long nanos, boolean ok) {
    calls.incrementAndGet();
    totalCalls.incrementAndGet();
    latency.recordValue(Math.max(1_000L, Math.min(nanos, 600_000_000_000L)));
    if (ok) {
      lastSuccess.put(service, nowMillis());
    } else {
      failed.incrementAndGet();
      totalFailed.incrementAndGet();
      failedByService.merge(service, 1L, Long::sum);
    }
  }

  /** Marks a fault. */
  public synchronized void fault(String name, String service) {
    faults.add(new Fault(name, service, nowMillis()));
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
    Second s =
        new Second(
            seconds.size() + 1,
            calls.getAndSet(0),
            failed.getAndSet(0),
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

  /** Failed calls of {@code service}. */
  public long failed(String service) {
    return failedByService.getOrDefault(service, 0L);
  }

  /** When {@code service} last succeeded, ms since the start, or -1. */
  public long lastSuccessMillis(String service) {
    return lastSuccess.getOrDefault(service, -1L);
  }
}
