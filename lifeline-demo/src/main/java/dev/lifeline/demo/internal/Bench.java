package dev.lifeline.demo.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Runs one bench scenario, prints its table and writes its JSON. Every scenario measures Lifeline
 * and its baselines side by side in the same run on loopback. Not thread-safe; one run at a time.
 */
public final class Bench {

  /** The scenario names, in the order the README lists them. */
  public static final List<String> SCENARIOS =
      List.of(
          "overhead",
          "channel-reuse",
          "pool-scaling",
          "reconnect",
          "failover",
          "retry-storm",
          "breaker",
          "http");

  private Bench() {}

  /**
   * Phase lengths for one run.
   *
   * @param quick whether this is a smoke run
   * @param warmup warm-up per setup
   * @param measure measurement per setup
   */
  public record Timing(boolean quick, Duration warmup, Duration measure) {
    static Timing of(boolean quick) {
      return quick
          ? new Timing(true, Duration.ofMillis(300), Duration.ofMillis(700))
          : new Timing(false, Duration.ofSeconds(3), Duration.ofSeconds(12));
    }
  }

  /** Runs the scenario named in {@code cli}; returns the exit status. */
  public static int run(Cli cli, PrintStream out) throws Exception {
    BenchReport report = report(cli, out);
    report.print(out);
    if (cli.json().isPresent()) {
      Path path = cli.json().get();
      write(path, Json.write(report.toMap()));
      out.println("json: " + path);
    }
    return 0;
  }

  /** Runs the scenario named in {@code cli} and returns its report. */
  public static BenchReport report(Cli cli, PrintStream out) throws Exception {
    Timing t = Timing.of(cli.quick());
    out.println(
        "bench " + cli.scenario() + (cli.quick() ? " (quick smoke run)" : "") + ": running…");
    return switch (cli.scenario()) {
      case "overhead" -> OverheadScenario.run(t);
      case "channel-reuse" -> ChannelReuseScenario.run(t);
      case "pool-scaling" -> PoolScalingScenario.run(t);
      case "reconnect" -> ReconnectScenario.run(t);
      case "failover" -> FailoverScenario.run(t, cli);
      case "retry-storm" -> RetryStormScenario.run(t);
      case "breaker" -> BreakerScenario.run(t);
      case "http" -> HttpScenario.run(t);
      default -> throw new UsageException("bench: unknown scenario '" + cli.scenario() + "'");
    };
  }

  private static void write(Path path, String text) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(path, text);
  }
}
