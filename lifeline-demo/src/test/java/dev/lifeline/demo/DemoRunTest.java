package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs a short demo end to end and checks what scripts rely on. */
class DemoRunTest {

  @TempDir Path dir;

  @Test
  void shortDemoSurvivesEveryFaultAndEndsWithTheSummaryLine() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int status =
        Main.run(
            new String[] {"demo", "--duration", "10s", "--seed", "7", "--reports", dir.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
    String[] lines = text.strip().split("\n");
    Matcher last =
        Pattern.compile("demo: (\\d+) calls, (\\d+) failed, report: (.+\\.html)")
            .matcher(lines[lines.length - 1]);
    assertThat(last.matches()).as(text).isTrue();
    assertThat(Long.parseLong(last.group(1))).isPositive();
    assertThat(last.group(2)).as(text).isEqualTo("0");
    Path report = Path.of(last.group(3));
    assertThat(report).exists();
    String html = Files.readString(report);
    assertThat(html)
        .contains("<svg", "ItemService restart", "active OrderService crash")
        .contains("graceful handover", "Storage 5xx burst");
    assertThat(text)
        .contains("calls/s", "NOT_ACTIVE", "breaker", "active order-")
        .contains("recovery: ItemService restart", "channels created");
  }
}
