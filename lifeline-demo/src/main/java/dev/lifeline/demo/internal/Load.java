package dev.lifeline.demo.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * A closed-loop load generator: a fixed number of threads each call, wait for the answer, and call
 * again. Warm-up runs first and is not recorded. Every loop is bounded in time and in count.
 * Thread-safe; each run owns its threads and joins them before returning.
 */
public final class Load {

  private Load() {}

  /** One call; a thrown exception counts as a failed call. */
  @FunctionalInterface
  public interface Call {
    /** Performs one call. */
    void run() throws Exception;
  }

  /**
   * The outcome of a measured phase.
   *
   * @param calls completed calls, failed included
   * @param failed calls that threw
   * @param seconds measured wall time
   * @param latency latency of every call, in nanoseconds
   */
  public record Result(long calls, long failed, double seconds, Histogram latency) {
    /** Calls per second. */
    public double throughput() {
      return calls / seconds;
    }

    /** The latency at {@code percentile} in microseconds. */
    public double micros(double percentile) {
      return latency.getValueAtPercentile(percentile) / 1_000.0;
    }

    /** The latency at {@code percentile} in milliseconds. */
    public double millis(double percentile) {
      return latency.getValueAtPercentile(percentile) / 1_000_000.0;
    }
  }

  /** Returns a new latency histogram covering 1 µs to 10 min at 3 significant digits. */
  public static Histogram histogram() {
    return new Histogram(1_000L, 600_000_000_000L, 3);
  }

  /** Records {@code nanos} into {@code h}, clamped to the histogram's range. */
  public static void record(Histogram h, long nanos) {
    h.recordValue(
        Math.max(h.getLowestDiscernibleValue(), Math.min(nanos, h.getHighestTrackableValue())));
  }

  /**
   * Runs a warm-up then a measured closed loop.
   *
   * @param threads concurrent callers
   * @param warmup how long to warm up (not recorded)
   * @param measure how long to measure
   * @param maxCalls upper bound on measured calls across all threads
   * @param call the call
   * @throws InterruptedException if interrupted while waiting for the callers
   */
  public static Result closedLoop(
      int threads, Duration warmup, Duration measure, long maxCalls, Call call)
      throws InterruptedException {
    phase(threads, warmup, maxCalls, call, false);
    return phase(threads, measure, maxCalls, call, true);
  }

  /**
   * Measures each setup in {@code rounds} interleaved slices of {@code measure / rounds}, so that
   * drift on a shared machine (other processes, JIT, GC) spreads over every setup instead of
   * favouring the one measured last.
   *
   * @return one merged result per setup, in the order given
   */
  public static List<Result> interleaved(
      int threads, Duration measure, int rounds, long maxCalls, List<Call> setups)
      throws InterruptedException {
    List<Result> merged = new ArrayList<>();
    for (int i = 0; i < setups.size(); i++) {
      merged.add(null);
    }
    Duration slice = measure.dividedBy(rounds);
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < setups.size(); i++) {
        Result x = measure(threads, slice, maxCalls, setups.get(i));
        Result m = merged.get(i);
        if (m == null) {
          merged.set(i, x);
        } else {
          m.latency().add(x.latency());
          merged.set(
              i,
              new Result(
                  m.calls() + x.calls(),
                  m.failed() + x.failed(),
                  m.seconds() + x.seconds(),
                  m.latency()));
        }
      }
    }
    return merged;
  }

  /** Runs the call in a closed loop for {@code length} without recording anything. */
  public static void warmup(int threads, Duration length, long maxCalls, Call call)
      throws InterruptedException {
    phase(threads, length, maxCalls, call, false);
  }

  /** Runs a measured closed loop without warm-up. */
  public static Result measure(int threads, Duration length, long maxCalls, Call call)
      throws InterruptedException {
    return phase(threads, length, maxCalls, call, true);
  }

  private static Result phase(
      int threads, Duration length, long maxCalls, Call call, boolean record)
      throws InterruptedException {
    AtomicLong budget = new AtomicLong(maxCalls);
    AtomicLong failed = new AtomicLong();
    List<Histogram> hists = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    long start = System.nanoTime();
    long end = start + length.toNanos();
    for (int t = 0; t < threads; t++) {
      Histogram h = histogram();
      hists.add(h);
      Thread w =
          new Thread(
              () -> {
                while (System.nanoTime() < end && budget.getAndDecrement() > 0) {
                  long t0 = System.nanoTime();
                  try {
                    call.run();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                  } catch (Exception e) {
                    failed.incrementAndGet();
                  }
                  if (record) {
                    record(h, System.nanoTime() - t0);
                  }
                }
              },
              "bench-caller-" + t);
      w.setDaemon(true);
      workers.add(w);
      w.start();
    }
    // Callers finish at the deadline plus at most one call, which is itself bounded by a deadline.
    for (Thread w : workers) {
      w.join(length.toMillis() + 60_000);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Histogram all = histogram();
    for (Histogram h : hists) {
      all.add(h);
    }
    return new Result(all.getTotalCount(), failed.get(), seconds, all);
  }
}
