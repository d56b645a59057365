package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The demo's HTML report answers "when?": read as SVG, and rendered by headless Chromium (Debian's
 * {@code chromium}) to {@code target/demo-report.png}, the picture docs/demo-report.png comes from.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReportRenderTest {

  private static final Pattern REPORT = Pattern.compile("report: (.+\\.html)$");
  static DemoRecording demo;
  static String html;

  @BeforeAll
  static void runDemo() throws Exception {
    demo = DemoRecording.get();
    String out = demo.out().strip();
    Matcher m = REPORT.matcher(out.substring(out.lastIndexOf('\n') + 1));
    assertThat(m.find()).as(out).isTrue();
    html = Files.readString(Path.of(m.group(1)));
  }

  private static int count(String regex) {
    Matcher m = Pattern.compile(regex).matcher(html);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  @Test
  void theReportIsSelfContained() {
    assertThat(html).contains("<svg").doesNotContain("<script", " src=", " href=", "<link");
  }

  @Test
  void everyPanelHasBothAxesTimeTicksInSecondsAndAUnitLabel() {
    assertThat(count("<g class=\"panel\"")).isEqualTo(3);
    assertThat(count("class=\"axis x\"")).isEqualTo(3);
    assertThat(count("class=\"axis y\"")).isEqualTo(3);
    assertThat(count("<g class=\"tick x\">.{0,200}?>\\d+ s</text>")).isGreaterThanOrEqualTo(3 * 5);
    assertThat(html)
        .contains(">calls/s</text>", ">p99 (ms)</text>", ">per second</text>")
        .contains("time since the workload started (s)");
  }

  @Test
  void retriesNotActiveAndFailuresAreTheirOwnSeriesApartFromCallsAndP99() {
    for (String series :
        List.of("calls/s", "retries", "NOT_ACTIVE answers", "failed calls", "degraded/s")) {
      assertThat(html).contains("class=\"series\" data-name=\"" + series);
    }
    assertThat(html).contains("data-name=\"p99 latency");
  }

  @Test
  void eachFaultIsOneSpanFromInjectionToRecoveryWithLabelsThatDoNotOverlap() {
    long faults = demo.lines.stream().filter(l -> l.text().startsWith("fault: ")).count();
    assertThat(faults).isEqualTo(4);
    assertThat(count("class=\"fault-span\"")).isEqualTo(faults);
    assertThat(html).doesNotContain("not recovered");
    Matcher m =
        Pattern.compile(
                "class=\"fault-label\" x=\"([\\d.]+)\" y=\"(\\d+)\" data-width=\"([\\d.]+)\"")
            .matcher(html);
    Map<String, List<double[]>> rows = new LinkedHashMap<>();
    while (m.find()) {
      double x = Double.parseDouble(m.group(1));
      double[] span = {x, x + Double.parseDouble(m.group(3))};
      for (double[] other : rows.computeIfAbsent(m.group(2), k -> new ArrayList<>())) {
        assertThat(span[0] >= other[1] || other[0] >= span[1])
            .as("labels at y=%s overlap: %s and %s", m.group(2), span[0], other[0])
            .isTrue();
      }
      rows.get(m.group(2)).add(span);
    }
    assertThat(rows.values().stream().mapToInt(List::size).sum()).isEqualTo(faults);
  }

  @Test
  void breakerStateAndActiveMemberAreBands() {
    assertThat(html)
        .contains("class=\"band\" data-name=\"breaker\"", "class=\"band\" data-name=\"active\"");
    assertThat(html).contains(">OPEN</text>").containsPattern(">order-\\d</text>");
  }

  @Test
  void headlessChromiumRendersTheReportToPng() throws Exception {
    Path report = Files.createTempFile(demo.reportDir(), "report", ".html");
    Files.writeString(report, html);
    Path png = Path.of("target", "demo-report.png").toAbsolutePath();
    Files.deleteIfExists(png);
    Process p =
        new ProcessBuilder(
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1010,760",
                "--screenshot=" + png,
                report.toUri().toString())
            .redirectErrorStream(true)
            .redirectOutput(demo.reportDir().resolve("chromium.log").toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue())
        .as(Files.readString(demo.reportDir().resolve("chromium.log")))
        .isZero();
    byte[] bytes = Files.readAllBytes(png);
    assertThat(new String(bytes, 1, 3, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("PNG");
    ByteBuffer ihdr = ByteBuffer.wrap(bytes, 16, 8);
    assertThat(ihdr.getInt()).isEqualTo(1010);
    assertThat(ihdr.getInt()).isEqualTo(760);
    // A blank page compresses to a few kB; the chart with text and lines is far larger.
    assertThat(bytes.length).isGreaterThan(30_000);
  }
}
