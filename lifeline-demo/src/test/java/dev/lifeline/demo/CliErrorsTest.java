package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Bad input gets one clear line on stderr and a non-zero exit, never a stack trace. */
class CliErrorsTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String oneErrorLine() {
    String e = err.toString(StandardCharsets.UTF_8);
    assertThat(e.strip().split("\n")).hasSize(1);
    assertThat(e).doesNotContain("\tat ", "Exception");
    return e.strip();
  }

  @Test
  void helpPrintsTheUsageAndSucceeds() {
    assertThat(run("demo", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("usage: demo", "--duration", "scenarios:");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void unknownScenarioNamesItAndTheKnownOnes() {
    assertThat(run("bench", "warp-speed")).isEqualTo(2);
    assertThat(oneErrorLine()).contains("warp-speed").contains("overhead").contains("failover");
  }

  @Test
  void badDurationNamesTheOptionAndValue() {
    assertThat(run("demo", "--duration", "ten")).isEqualTo(2);
    assertThat(oneErrorLine()).contains("--duration").contains("ten");
  }

  @Test
  void tooShortDurationNamesTheRange() {
    assertThat(run("demo", "--duration", "1s")).isEqualTo(2);
    assertThat(oneErrorLine()).contains("--duration: 1s").contains("5s to 1h");
  }

  @Test
  void unreachableNatsIsOneLine() throws IOException {
    int port;
    // A port that was just free: nothing listens there once the probe is closed.
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    assertThat(run("demo", "--nats", "nats://127.0.0.1:" + port)).isEqualTo(2);
    assertThat(oneErrorLine()).contains("cannot reach NATS").contains("127.0.0.1:" + port);
  }

  @Test
  void malformedNatsUrlIsRejected() {
    assertThat(run("bench", "failover", "--nats", "http://x")).isEqualTo(2);
    assertThat(oneErrorLine()).contains("--nats").contains("nats://HOST:PORT");
  }

  @Test
  void benchOptionOnDemoIsRejected() {
    assertThat(run("demo", "--quick")).isEqualTo(2);
    assertThat(oneErrorLine()).contains("--quick").contains("demo");
  }

  @Test
  void missingCommandIsRejected() {
    assertThat(run()).isEqualTo(2);
    assertThat(oneErrorLine()).contains("demo").contains("bench");
  }
}
