package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.demo.internal.Bench;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./lifeline} checks its arguments before it builds anything: help and mistakes answer at
 * once (the timeout fails a run that starts Maven), and never print {@code building}.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LifelineScriptTest {

  private static final Path SCRIPT = Path.of("..", "lifeline").toAbsolutePath().normalize();

  /** Runs the script; returns its exit status, then stdout+stderr. */
  private static String[] run(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(SCRIPT.toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(out).doesNotContain("building");
    return new String[] {Integer.toString(p.exitValue()), out};
  }

  @Test
  void demoHelpAnswersAtOnceWithTheUsage() throws Exception {
    String[] r = run("demo", "--help");
    assertThat(r[0]).isEqualTo("0");
    assertThat(r[1]).contains("usage: ./lifeline demo", "--duration", "bench <scenario>");
  }

  @Test
  void anUnknownScenarioIsRejectedBeforeBuildingAndNamesTheKnownOnes() throws Exception {
    String[] r = run("bench", "nope");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("unknown scenario 'nope'", "channel-reuse", "failover");
  }

  @Test
  void anUnknownOptionOrAMissingValueIsRejectedBeforeBuilding() throws Exception {
    assertThat(run("demo", "--json", "x")[1]).contains("unknown option '--json' for demo");
    assertThat(run("demo", "--duration")[1]).contains("--duration: missing value");
    assertThat(run("bench")[1]).contains("bench: missing scenario");
    assertThat(run("warp")[0]).isEqualTo("2");
  }

  @Test
  void theScriptKnowsExactlyTheBenchScenariosTheJavaSideRuns() throws Exception {
    String usage = run("--help")[1];
    String line = usage.lines().filter(l -> l.startsWith("scenarios: ")).findFirst().orElseThrow();
    assertThat(List.of(line.substring("scenarios: ".length()).split(" ")))
        .containsExactlyElementsOf(Bench.SCENARIOS);
  }
}
