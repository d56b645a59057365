package dev.lifeline.chaos;

import dev.lifeline.chaos.internal.Args;
import dev.lifeline.chaos.internal.ChaosReport;
import dev.lifeline.chaos.internal.ChaosRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * {@code ./lifeline chaos [--failovers N] [--seed S] [--ttl-ms N] [--clients N] [--json FILE]}:
 * runs the chaos schedule, prints the per-fault table and the checker's verdict, writes the JSON
 * report, and exits 0 when the history is safe and the group recovered from every fault, 1 when
 * not, 2 on bad arguments.
 */
public final class ChaosMain {

  private ChaosMain() {}

  public static void main(String[] argv) throws Exception {
    ChaosRun.Config config;
    Path json;
    try {
      Args args = Args.parse(argv).only(Set.of("failovers", "seed", "ttl-ms", "clients", "json"));
      int failovers = args.intValue("failovers", 100);
      if (failovers < 1 || failovers > 10_000) {
        throw new IllegalArgumentException(
            "--failovers: " + failovers + " (expected: >= 1 and <= 10000)");
      }
      int ttlMs = args.intValue("ttl-ms", 2000);
      if (ttlMs < 500 || ttlMs > 60_000) {
        throw new IllegalArgumentException("--ttl-ms: " + ttlMs + " (expected: 500 .. 60000)");
      }
      int clients = args.intValue("clients", 4);
      if (clients < 1 || clients > 64) {
        throw new IllegalArgumentException("--clients: " + clients + " (expected: 1 .. 64)");
      }
      ChaosRun.Config d = ChaosRun.Config.defaults();
      config =
          new ChaosRun.Config(
              failovers,
              args.longValue("seed", System.currentTimeMillis()),
              Duration.ofMillis(ttlMs),
              Duration.ofMillis(ttlMs / 4),
              Duration.ofMillis(ttlMs * 3 / 20),
              clients,
              d.callDeadline(),
              d.attemptTimeout(),
              d.bucket());
      json = Path.of(args.value("json", "target/chaos.json"));
    } catch (IllegalArgumentException e) {
      System.err.println("lifeline chaos: " + e.getMessage());
      System.exit(2);
      return;
    }
    ChaosReport report;
    // Not try-with-resources: the run prints to System.out, which must stay open after it.
    ChaosRun run = new ChaosRun(config, System.out);
    try {
      report = run.run();
    } finally {
      run.close();
    }
    report.print(System.out);
    if (json.getParent() != null) {
      java.nio.file.Files.createDirectories(json.getParent());
    }
    report.writeJson(json);
    System.out.println("report: " + json.toAbsolutePath());
    System.exit(report.safe() && report.recovered() ? 0 : 1);
  }
}
