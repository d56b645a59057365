package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Runs every bench scenario with --quick in process, so that the bench cannot rot. */
class BenchSmokeTest {

  @TempDir Path dir;

  /** The contract's keys per scenario, each as "section.key". */
  static final Map<String, List<String>> KEYS =
      Map.of(
          "overhead",
          List.of(
              "ratios.throughput_vs_raw",
              "ratios.throughput_vs_resilience4j",
              "figures.lifeline_p50_us",
              "figures.raw_p50_us"),
          "channel-reuse",
          List.of(
              "ratios.throughput_vs_per_request",
              "ratios.p99_per_request_vs_lifeline",
              "counts.channels_created"),
          "pool-scaling",
          List.of("ratios.throughput_vs_single_channel"),
          "reconnect",
          List.of("figures.grpc_default_recovery_ms", "figures.lifeline_recovery_ms"),
          "failover",
          List.of(
              "figures.crash_p50_ms",
              "figures.crash_p99_ms",
              "figures.graceful_p50_ms",
              "figures.graceful_p99_ms",
              "counts.failed_calls",
              "counts.overlapping_active_windows"),
          "retry-storm",
          List.of("ratios.amplification_lifeline", "ratios.amplification_naive"),
          "breaker",
          List.of("figures.open_reject_p99_us", "figures.timeout_wait_p99_ms"),
          "http",
          List.of("ratios.throughput_vs_raw", "ratios.pooled_vs_new_connection"));

  static List<String> scenarios() {
    return List.of(
        "overhead",
        "channel-reuse",
        "pool-scaling",
        "reconnect",
        "failover",
        "retry-storm",
        "breaker",
        "http");
  }

  @ParameterizedTest
  @MethodSource("scenarios")
  void quickRunWritesEveryContractKey(String scenario) throws Exception {
    Path json = dir.resolve(scenario + ".json");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int status =
        Main.run(
            new String[] {"bench", scenario, "--quick", "--json", json.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
    String text = Files.readString(json);
    assertThat(text)
        .contains("\"scenario\": \"" + scenario + "\"")
        .contains("\"environment\"", "\"cpus\"", "\"jvm\"", "\"os\"")
        .contains("\"results\"", "\"ratios\"", "\"figures\"", "\"counts\"");
    for (String key : KEYS.get(scenario)) {
      String section = key.substring(0, key.indexOf('.'));
      String name = key.substring(key.indexOf('.') + 1);
      int start = text.indexOf("\"" + section + "\"");
      assertThat(start).as(key).isPositive();
      // Every Lifeline piece is in this build, so every contract key carries a number.
      assertThat(text.substring(start)).as(key).containsPattern("\"" + name + "\": -?[0-9]");
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("bench " + scenario);
  }

  @Test
  void retryStormShowsTheBudgetCuttingAmplification() throws Exception {
    Path json = dir.resolve("storm.json");
    int status =
        Main.run(
            new String[] {"bench", "retry-storm", "--quick", "--json", json.toString()},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    assertThat(status).isZero();
    String text = Files.readString(json);
    double naive = number(text, "amplification_naive");
    double lifeline = number(text, "amplification_lifeline");
    assertThat(naive).isEqualTo(3.0);
    assertThat(lifeline).isLessThan(naive);
  }

  @Test
  void channelReusePrintsTheSeedsTableByConcurrentUsers() throws Exception {
    Path json = dir.resolve("reuse.json");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status =
        Main.run(
            new String[] {"bench", "channel-reuse", "--quick", "--json", json.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    assertThat(status).isZero();
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text)
        .contains("by concurrent users")
        .contains("p99 per request", "p99 lifeline", "calls/s per request", "calls/s lifeline");
    for (int users : new int[] {1, 3, 5, 10, 15}) {
      assertThat(text).containsPattern("(?m)^" + users + " +[0-9.]+ +[0-9.]+ ");
    }
    String written = Files.readString(json);
    assertThat(written).contains("\"tables\"", "\"ratios\"", "\"counts\"");
    assertThat(written).containsPattern("\\[\\s*15,");
  }

  static double number(String json, String key) {
    int i = json.indexOf("\"" + key + "\": ") + key.length() + 4;
    int j = i;
    while (j < json.length() && "-0123456789.".indexOf(json.charAt(j)) >= 0) {
      j++;
    }
    return Double.parseDouble(json.substring(i, j));
  }
}
