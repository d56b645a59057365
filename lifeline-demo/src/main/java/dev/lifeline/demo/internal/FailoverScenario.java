package dev.lifeline.demo.internal;

/** The {@code failover} scenario. Stateless. */
final class FailoverScenario {

  private FailoverScenario() {}

  static BenchReport run(Bench.Timing t, Cli cli) throws Exception {
    if (cli.nats().isPresent()) {
      Nats.requireReachable(cli.nats().get());
    }
    BenchReport report = new BenchReport("failover");
    // Single-active groups have no baseline: the figures are Lifeline's own, or absent.
    report.unavailable(
        "lifeline single-active group (" + (cli.nats().isPresent() ? "nats" : "in memory") + ")");
    report.figure("crash_p50_ms", null);
    report.figure("crash_p99_ms", null);
    report.figure("graceful_p50_ms", null);
    report.figure("graceful_p99_ms", null);
    report.count("failed_calls", null);
    report.count("overlapping_active_windows", null);
    return report;
  }
}
