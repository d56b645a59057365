package dev.lifeline.chaos.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lifeline.testing.HistoryChecker;
import dev.lifeline.testing.RunEnvironment;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a chaos run found, per fault kind and in total, as a table and as JSON in the bench shape
 * ({@code scenario}, {@code environment}, {@code figures}, {@code counts}, {@code notes}).
 * Immutable.
 */
public final class ChaosReport {

  /**
   * One fault kind's figures.
   *
   * @param faults how many were injected
   * @param p50Ms median failover, milliseconds
   * @param p99Ms 99th percentile (nearest rank) failover, milliseconds
   * @param maxMs the longest failover
   * @param failedCalls client calls that failed between the fault and the steady state after it
   */
  public record KindFigures(int faults, long p50Ms, long p99Ms, long maxMs, int failedCalls) {}

  private final ChaosRun.Config config;
  private final Map<FaultKind, KindFigures> perKind;
  private final int failovers;
  private final int failedCalls;
  private final List<String> failureExamples;
  private final HistoryChecker.Verdict verdict;
  private final long rejectedWrites;
  private final Duration elapsed;
  private final Path logs;
  private final @Nullable String stuck;

  private ChaosReport(
      ChaosRun.Config config,
      Map<FaultKind, KindFigures> perKind,
      int failovers,
      int failedCalls,
      List<String> failureExamples,
      HistoryChecker.Verdict verdict,
      long rejectedWrites,
      Duration elapsed,
      Path logs,
      @Nullable String stuck) {
    this.config = config;
    this.perKind = perKind;
    this.failovers = failovers;
    this.failedCalls = failedCalls;
    this.failureExamples = failureExamples;
    this.verdict = verdict;
    this.rejectedWrites = rejectedWrites;
    this.elapsed = elapsed;
    this.logs = logs;
    this.stuck = stuck;
  }

  static ChaosReport of(
      ChaosRun.Config config,
      List<FaultRecord> faults,
      List<FailedCall> failures,
      HistoryChecker.Verdict verdict,
      long rejectedWrites,
      Duration elapsed,
      Path logs,
      @Nullable String stuck) {
    Map<FaultKind, KindFigures> perKind = new LinkedHashMap<>();
    for (FaultKind k : FaultKind.values()) {
      List<FaultRecord> mine = faults.stream().filter(f -> f.kind() == k).toList();
      if (mine.isEmpty()) {
        continue;
      }
      long[] ms =
          mine.stream()
              .mapToLong(f -> Math.max(0, f.failoverNanos()) / 1_000_000)
              .sorted()
              .toArray();
      int failed =
          (int)
              failures.stream()
                  .filter(
                      x ->
                          mine.stream()
                              .anyMatch(
                                  f ->
                                      x.endNanos() >= f.faultNanos()
                                          && x.sentNanos() <= f.healedNanos()))
                  .count();
      perKind.put(
          k,
          new KindFigures(mine.size(), rank(ms, 0.50), rank(ms, 0.99), ms[ms.length - 1], failed));
    }
    List<String> examples = new ArrayList<>();
    failures.stream().limit(10).forEach(f -> examples.add(f.requestId() + ": " + f.status()));
    return new ChaosReport(
        config,
        perKind,
        faults.size(),
        failures.size(),
        examples,
        verdict,
        rejectedWrites,
        elapsed,
        logs,
        stuck);
  }

  /** The nearest-rank percentile of sorted values. */
  static long rank(long[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  public HistoryChecker.Verdict verdict() {
    return verdict;
  }

  public int failovers() {
    return failovers;
  }

  /** Up to a few failed calls, each with its request id, member, status and the engine's report. */
  public List<String> failureExamples() {
    return failureExamples;
  }

  public int failedCalls() {
    return failedCalls;
  }

  public Map<FaultKind, KindFigures> perKind() {
    return perKind;
  }

  /** Whether the history is correct: no overlap, stale write, token decrease or lost write. */
  public boolean safe() {
    return verdict.ok();
  }

  /** Whether the group recovered from every fault (the schedule ran to its end). */
  public boolean recovered() {
    return stuck == null;
  }

  /** The bench-shaped JSON object. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scenario", "chaos");
    m.put("environment", RunEnvironment.describe());
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("seed", config.seed());
    settings.put("ttl_ms", config.ttl().toMillis());
    settings.put("heartbeat_ms", config.heartbeat().toMillis());
    settings.put("safety_margin_ms", config.safetyMargin().toMillis());
    settings.put("clients", config.clients());
    settings.put("call_deadline_ms", config.callDeadline().toMillis());
    settings.put("attempt_timeout_ms", config.attemptTimeout().toMillis());
    settings.put("nats_nodes", 3);
    settings.put("members", 3);
    m.put("settings", settings);
    Map<String, Object> figures = new LinkedHashMap<>();
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("failovers", (long) failovers);
    counts.put("overlapping_active_windows", (long) verdict.overlappingWindows());
    counts.put("stale_writes_accepted", (long) verdict.staleWritesAccepted());
    counts.put("lost_acknowledged_writes", (long) verdict.lostAcknowledgedWrites());
    counts.put("token_decreases", (long) verdict.tokenDecreases());
    counts.put("failed_calls", (long) failedCalls);
    counts.put("acknowledged_calls", (long) verdict.acknowledgedCalls());
    counts.put("accepted_writes", (long) verdict.acceptedWrites());
    counts.put("rejected_writes", rejectedWrites);
    counts.put("unrecovered_faults", stuck == null ? 0L : 1L);
    perKind.forEach(
        (k, f) -> {
          figures.put(k.key() + "_p50_ms", f.p50Ms());
          figures.put(k.key() + "_p99_ms", f.p99Ms());
          figures.put(k.key() + "_max_ms", f.maxMs());
          counts.put(k.key() + "_faults", (long) f.faults());
          counts.put(k.key() + "_failed_calls", (long) f.failedCalls());
        });
    figures.put("elapsed_s", elapsed.toSeconds());
    m.put("figures", figures);
    m.put("counts", counts);
    List<String> notes = new ArrayList<>();
    notes.add(
        "failover: for active_kill, active_pause, graceful_stop and active_cut_off, from the fault"
            + " to the first call acknowledged with a higher fencing token; for the NATS-node"
            + " faults, the longest stretch without an acknowledged call from the fault to the"
            + " steady state after the heal");
    if (stuck != null) {
      notes.add(stuck);
    }
    notes.addAll(verdict.examples());
    failureExamples.forEach(e -> notes.add("failed call " + e));
    m.put("notes", notes);
    return m;
  }

  /** Writes {@link #toMap()} to {@code file}. */
  public void writeJson(Path file) throws IOException {
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(file.toFile(), toMap());
  }

  /** Prints the per-kind table and the totals. */
  public void print(PrintStream out) {
    out.println();
    out.printf(
        "%-20s %7s %9s %9s %9s %13s%n",
        "fault", "count", "p50 ms", "p99 ms", "max ms", "failed calls");
    perKind.forEach(
        (k, f) ->
            out.printf(
                "%-20s %7d %9d %9d %9d %13d%n",
                k.key(), f.faults(), f.p50Ms(), f.p99Ms(), f.maxMs(), f.failedCalls()));
    out.println();
    out.printf(
        "failovers %d, acknowledged calls %d, failed calls %d, writes rejected by the register %d%n",
        failovers, verdict.acknowledgedCalls(), failedCalls, rejectedWrites);
    out.printf(
        "overlapping active windows %d, stale writes accepted %d, token decreases %d,"
            + " lost acknowledged writes %d  ->  %s%n",
        verdict.overlappingWindows(),
        verdict.staleWritesAccepted(),
        verdict.tokenDecreases(),
        verdict.lostAcknowledgedWrites(),
        safe() ? "SAFE" : "UNSAFE");
    if (stuck != null) {
      out.println("NOT RECOVERED: " + stuck);
    }
    verdict.examples().forEach(e -> out.println("  " + e));
    failureExamples.forEach(e -> out.println("  failed call " + e));
    out.printf("elapsed %d s; member and NATS logs in %s%n", elapsed.toSeconds(), logs);
  }
}
