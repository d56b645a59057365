package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs a short demo end to end (the shared {@link DemoRecording}) and checks what scripts rely on.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DemoRunTest {

  @Test
  void shortDemoSurvivesEveryFaultAndEndsWithTheSummaryLine() throws Exception {
    DemoRecording demo = DemoRecording.get();
    String text = demo.out();
    assertThat(demo.status).as(demo.err).isZero();
    String[] lines = text.strip().split("\n");
    Matcher last =
        Pattern.compile("demo: (\\d+) calls, (\\d+) failed, (\\d+) degraded, report: (.+\\.html)")
            .matcher(lines[lines.length - 1]);
    assertThat(last.matches()).as(text).isTrue();
    assertThat(Long.parseLong(last.group(1))).isPositive();
    assertThat(last.group(2)).as(text).isEqualTo("0");
    // The Storage 5xx burst is answered from the cache: degraded, and said so.
    assertThat(Long.parseLong(last.group(3))).as(text).isPositive();
    assertThat(text)
        .containsPattern(
            "storage +\\d+ calls: \\d+ ok, [1-9]\\d* degraded \\(served from cache\\)");
    Path report = Path.of(last.group(4));
    assertThat(report).exists();
    String html = Files.readString(report);
    assertThat(html)
        .contains("<svg", "ItemService restart", "active OrderService crash")
        .contains("graceful handover", "Storage 5xx burst");
    assertThat(text)
        .contains("calls/s", "NOT_ACTIVE", "breaker", "active order-")
        .contains("recovery: ItemService restart", "channels created")
        .containsPattern("order +orders +OrderService order-1 +127\\.0\\.0\\.1:\\d+");
    // The status page names each service, its address and each member's id, and the breakers by
    // service and target.
    assertThat(demo.statusPage)
        .contains("<th>member id</th><th>address</th><th>role</th>")
        .containsPattern(
            "<td>order-1</td><td>127\\.0\\.0\\.1:\\d+</td><td>(ACTIVE|STANDBY|STOPPED)</td>")
        .containsPattern("<td>item-master</td><td>ItemService</td><td>127\\.0\\.0\\.1:\\d+</td>")
        .containsPattern(
            "<td>storage</td><td>127\\.0\\.0\\.1:\\d+</td><td>(CLOSED|OPEN|HALF_OPEN)</td>");
  }
}
