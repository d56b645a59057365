package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shipped docs, alert rules and dashboard against what a running demo really exports, read by
 * the real tools: Prometheus scrapes the demo, {@code promtool} checks the scrape and the rules.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ObservabilityContractTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern SELECTOR =
      Pattern.compile("\\b(lifeline_[a-z0-9_]+)\\s*(?:\\{([^}]*)\\})?");
  private static final Pattern MATCHER = Pattern.compile("(\\w+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
  private static final Pattern BY = Pattern.compile("\\bby\\s*\\(([^)]*)\\)");

  static DemoRecording demo;
  static Exposition scrape;

  @BeforeAll
  static void runDemo() throws Exception {
    demo = DemoRecording.get();
    assertThat(demo.status).as(demo.err + demo.out()).isZero();
    scrape = Exposition.parse(demo.lastScrape);
  }

  @Test
  void promtoolFindsNothingToLintInTheScrape() throws Exception {
    String[] result = promtool(demo.lastScrape, "check", "metrics");
    assertThat(result[1]).as("promtool check metrics:\n" + result[0]).isEqualTo("0");
    assertThat(result[0]).isBlank();
  }

  @Test
  void promtoolAcceptsTheShippedAlertRules() throws Exception {
    String[] result = promtool("", "check", "rules", ROOT.resolve("docs/alerts.yml").toString());
    assertThat(result[1]).as(result[0]).isEqualTo("0");
  }

  // The demo's failovers (about 1.2-1.5 s) never reach LifelineSlowFailover's 2 s, so the live
  // run can only show it quiet; promtool's rule unit tests show it firing for a slow group and
  // staying quiet for a fast one, on the bucket series the demo exports.
  @Test
  void theSlowFailoverAlertFiresForASlowGroupOnlyInPromtoolsRuleTests() throws Exception {
    String[] result =
        promtool(
            "",
            "test",
            "rules",
            ROOT.resolve("lifeline-demo/src/test/resources/alerts-test.yml").toString());
    assertThat(result[1]).as(result[0]).isEqualTo("0");
    assertThat(result[0]).contains("SUCCESS");
  }

  @Test
  void everyMetricAndLabelValueTheAlertsUseIsScraped() throws Exception {
    List<String> problems = new ArrayList<>();
    for (String expr : AlertRules.expressions(Files.readString(ROOT.resolve("docs/alerts.yml")))) {
      problems.addAll(unknownSelectors(expr));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void everyMetricAndLabelValueTheDashboardUsesIsScraped() throws Exception {
    List<String> problems = new ArrayList<>();
    for (String expr : Dashboard.expressions(ROOT)) {
      problems.addAll(unknownSelectors(expr));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void everyDashboardPanelShowsDataDuringTheDemo() throws Exception {
    List<String> empty = new ArrayList<>();
    for (String[] panel : Dashboard.panels(ROOT)) {
      if (!demo.hasData.getOrDefault(panel[1], false)) {
        empty.add(panel[0] + ": " + panel[1]);
      }
    }
    assertThat(empty).as("panels without data in Prometheus").isEmpty();
  }

  @Test
  void theDocumentedMetersAreExactlyTheScrapedOnes() throws Exception {
    Map<String, Documented> docs = documentedMeters();
    List<String> problems = new ArrayList<>();
    Set<String> expected = new TreeSet<>();
    for (Documented d : docs.values()) {
      Set<String> names = d.sampleNames();
      expected.addAll(names);
      List<Exposition.Sample> found =
          scrape.samples().stream().filter(s -> names.contains(s.name())).toList();
      if (found.isEmpty()) {
        problems.add("documented but not scraped: " + d.name() + " " + names);
        continue;
      }
      Set<String> labels = new TreeSet<>();
      found.forEach(s -> labels.addAll(s.labels().keySet()));
      labels.removeAll(Set.of("le", "quantile"));
      if (!labels.equals(new TreeSet<>(d.tags()))) {
        problems.add(d.name() + ": documented tags " + d.tags() + ", scraped labels " + labels);
      }
    }
    Set<String> undocumented = new TreeSet<>();
    for (Exposition.Sample s : scrape.samples()) {
      if (s.name().startsWith("lifeline_") && !expected.contains(s.name())) {
        undocumented.add(s.name());
      }
    }
    undocumented.forEach(n -> problems.add("scraped but not documented: " + n));
    assertThat(problems).isEmpty();
  }

  @Test
  void timersPublishHistogramBucketsSoP99IsComputable() {
    for (String timer :
        List.of("lifeline_call_duration_seconds", "lifeline_sticky_failover_latency_seconds")) {
      assertThat(scrape.named(timer + "_bucket")).as(timer + "_bucket").isNotEmpty();
    }
  }

  @Test
  void breakersAreNamedByServiceWithTheTargetAsATag() {
    Set<String> breakers = new TreeSet<>();
    for (Exposition.Sample s : scrape.named("lifeline_breaker_state")) {
      breakers.add(s.labels().get("breaker"));
      assertThat(s.labels()).containsKey("target");
    }
    assertThat(breakers).contains("storage", "item-master", "orders");
  }

  @Test
  void alertsFireOnTheScriptedFaultsAndStayQuietBefore() {
    long firstFault = demo.printed("fault: ") / 1000;
    long storageBurst = demo.printed("fault: Storage") / 1000;
    assertThat(firstFault).as(demo.out()).isPositive();
    Map<String, Long> firstFiring = new LinkedHashMap<>();
    demo.firing.forEach((labels, at) -> firstFiring.put(alert(labels), at.get(0)));
    String seen = "firing alerts (first epoch second) " + firstFiring + "\n" + demo.out();
    firstFiring.forEach(
        (alert, at) ->
            assertThat(at)
                .as(alert + " fired before the first fault; " + seen)
                .isGreaterThanOrEqualTo(firstFault));
    // The HTTP alert counts attempts, and an open breaker stops them: the logical-call alert is
    // the one that sees the whole burst.
    assertThat(firstFiring.keySet())
        .as(seen)
        .contains("LifelineBreakerOpenTooLong storage", "LifelineHighErrorRate storage");
    firstFiring.forEach(
        (alert, at) -> {
          if (alert.endsWith(" storage")) {
            assertThat(at)
                .as(alert + " before the burst; " + seen)
                .isGreaterThanOrEqualTo(storageBurst);
          }
        });
    long slowestFailover = slowestPrinted("recovered: orders served by ");
    if (slowestFailover < 1500) {
      assertThat(firstFiring.keySet())
          .as("failovers took at most " + slowestFailover + " ms; " + seen)
          .noneMatch(a -> a.startsWith("LifelineSlowFailover"));
    } else if (slowestFailover > 2500) {
      assertThat(firstFiring.keySet()).as(seen).contains("LifelineSlowFailover orders");
    }
  }

  /** The largest {@code N} of the lines {@code prefix... N ms ...}. */
  private static long slowestPrinted(String prefix) {
    long max = -1;
    Pattern ms = Pattern.compile(" (\\d+) ms ");
    for (DemoRecording.Line l : demo.lines) {
      Matcher m = ms.matcher(l.text());
      if (l.text().startsWith(prefix) && m.find()) {
        max = Math.max(max, Long.parseLong(m.group(1)));
      }
    }
    return max;
  }

  private static String alert(Map<String, String> labels) {
    return labels.get("alertname") + " " + label(labels);
  }

  private static String label(Map<String, String> l) {
    for (String k : List.of("breaker", "service", "client", "group", "target")) {
      if (l.containsKey(k)) {
        return l.get(k);
      }
    }
    return "";
  }

  /** The selectors in {@code expr} that match nothing in the scrape, as readable problems. */
  private static List<String> unknownSelectors(String expr) {
    List<String> problems = new ArrayList<>();
    Set<String> labelsSeen = new TreeSet<>();
    Matcher m = SELECTOR.matcher(expr);
    while (m.find()) {
      String name = m.group(1);
      List<Exposition.Sample> samples = scrape.named(name);
      if (samples.isEmpty()) {
        problems.add(name + " is not scraped (in: " + expr + ")");
        continue;
      }
      samples.forEach(s -> labelsSeen.addAll(s.labels().keySet()));
      if (m.group(2) == null) {
        continue;
      }
      Matcher l = MATCHER.matcher(m.group(2));
      while (l.find()) {
        String label = l.group(1);
        String value = l.group(3);
        boolean ok =
            l.group(2).equals("=")
                ? samples.stream().anyMatch(s -> value.equals(s.labels().get(label)))
                : samples.stream().anyMatch(s -> s.labels().containsKey(label));
        if (!ok) {
          problems.add(name + ": no sample with " + label + l.group(2) + "\"" + value + "\"");
        }
      }
    }
    Matcher by = BY.matcher(expr);
    while (by.find()) {
      for (String label : by.group(1).split(",")) {
        String l = label.strip();
        if (!l.isEmpty() && !labelsSeen.contains(l)) {
          problems.add("by (" + l + "): no such label on the metrics of: " + expr);
        }
      }
    }
    return problems;
  }

  /**
   * A meter row of docs/observability.md.
   *
   * @param name the Micrometer name
   * @param type counter, gauge, timer or summary
   * @param tags its tags
   */
  record Documented(String name, String type, List<String> tags) {
    Set<String> sampleNames() {
      String p = name.replace('.', '_');
      return switch (type) {
        case "counter" -> Set.of(p + "_total");
        case "gauge" -> Set.of(p);
        case "summary" -> Set.of(p + "_count", p + "_sum", p + "_max", p + "_bucket");
        case "timer" ->
            Set.of(
                p + "_seconds_count",
                p + "_seconds_sum",
                p + "_seconds_max",
                p + "_seconds_bucket");
        default -> throw new IllegalArgumentException(name + ": unknown meter type " + type);
      };
    }
  }

  private static final Pattern ROW =
      Pattern.compile("^\\| (`lifeline\\.[^|]*)\\|([^|]*)\\|([^|]*)\\|");
  private static final Pattern CODE = Pattern.compile("`([^`]+)`");

  private static Map<String, Documented> documentedMeters() throws IOException {
    Map<String, Documented> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(ROOT.resolve("docs/observability.md"))) {
      Matcher m = ROW.matcher(line);
      if (!m.find()) {
        continue;
      }
      String type = m.group(2).strip().split("[ (]")[0].replaceAll("s$", "");
      List<String> tags = new ArrayList<>();
      Matcher t = CODE.matcher(m.group(3));
      while (t.find()) {
        tags.add(t.group(1));
      }
      String base = null;
      Matcher n = CODE.matcher(m.group(1));
      while (n.find()) {
        String name = n.group(1);
        if (name.startsWith(".")) {
          name = base.substring(0, base.lastIndexOf('.')) + name;
        } else {
          base = name;
        }
        out.put(name, new Documented(name, type, tags));
      }
    }
    return out;
  }

  /** Runs promtool; returns its output and exit status. */
  private static String[] promtool(String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add("promtool");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new String[] {output, Integer.toString(p.exitValue())};
  }
}
