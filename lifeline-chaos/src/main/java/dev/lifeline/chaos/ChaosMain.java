package dev.lifeline.chaos;

import dev.lifeline.chaos.internal.Args;
import dev.lifeline.chaos.internal.ChaosReport;
import dev.lifeline.chaos.internal.ChaosRun;
import dev.lifeline.core.internal.Check;
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
      int failovers = Check.inRange("--failovers", args.intValue("failovers", 100), 1, 10_000);
      int ttlMs = Check.inRange("--ttl-ms", args.intValue("ttl-ms", 2000), 500, 60_000);
      int clients = Check.inRange("--clients", args.intValue("clients", 4), 1, 64);
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
