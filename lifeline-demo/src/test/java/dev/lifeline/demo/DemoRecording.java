package dev.lifeline.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One short run of {@code ./lifeline demo} watched as a platform engineer would: a real Prometheus
 * (Debian's {@code prometheus}) scrapes its {@code /metrics} every second and evaluates the shipped
 * alert rules with their windows shortened 100 times ({@link AlertRules#shortened}); the test also
 * keeps its own scrape of the last second. Made once per test JVM, on first use, and shared by the
 * tests of this module. Thread-safe.
 */
final class DemoRecording {

  /**
   * A line the demo printed.
   *
   * @param wallMillis when it was printed, epoch ms
   * @param text the line
   */
  record Line(long wallMillis, String text) {}

  private static final Pattern METRICS_URL = Pattern.compile("metrics: http://([^/\\s]+)/metrics");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static DemoRecording instance;

  final Path dir;
  final int status;
  final List<Line> lines;
  final String err;
  final String lastScrape;
  final String statusPage;
  final long startWallMillis;
  final long endWallMillis;

  /** Firing alerts: for each, its labels and the epoch seconds at which it was firing. */
  final Map<Map<String, String>, List<Long>> firing;

  /** For each dashboard and alert expression: whether it returned data at some point. */
  final Map<String, Boolean> hasData;

  private DemoRecording(
      Path dir,
      int status,
      List<Line> lines,
      String err,
      String lastScrape,
      String statusPage,
      long start,
      long end,
      Map<Map<String, String>, List<Long>> firing,
      Map<String, Boolean> hasData) {
    this.dir = dir;
    this.status = status;
    this.lines = lines;
    this.err = err;
    this.lastScrape = lastScrape;
    this.statusPage = statusPage;
    this.startWallMillis = start;
    this.endWallMillis = end;
    this.firing = firing;
    this.hasData = hasData;
  }

  /** The recording, made on the first call. */
  static synchronized DemoRecording get() throws Exception {
    if (instance == null) {
      instance = record();
    }
    return instance;
  }

  /** Where the demo wrote its report, and where tests may write files of their own. */
  Path reportDir() {
    return dir;
  }

  /** Everything the demo printed on its standard output. */
  String out() {
    StringBuilder b = new StringBuilder();
    for (Line l : lines) {
      b.append(l.text()).append('\n');
    }
    return b.toString();
  }

  /** When the demo printed the first line starting with {@code prefix}, epoch ms; -1 if never. */
  long printed(String prefix) {
    for (Line l : lines) {
      if (l.text().startsWith(prefix)) {
        return l.wallMillis();
      }
    }
    return -1;
  }

  private static DemoRecording record() throws Exception {
    Path dir = Files.createTempDirectory("lifeline-demo-test");
    Path root = Path.of("..").toAbsolutePath().normalize();
    Files.writeString(
        dir.resolve("alerts.yml"),
        AlertRules.shortened(Files.readString(root.resolve("docs/alerts.yml"))));
    Files.writeString(dir.resolve("targets.json"), "[]");
    Files.writeString(
        dir.resolve("prometheus.yml"),
        String.join(
            "\n",
            "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}",
            "rule_files: [alerts.yml]",
            "scrape_configs:",
            "  - job_name: demo",
            "    file_sd_configs: [{files: [targets.json]}]",
            ""));
    int port = freePort();
    Process prometheus =
        new ProcessBuilder(
                "prometheus",
                "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
    try {
      URI api = URI.create("http://127.0.0.1:" + port);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      awaitReady(http, api, prometheus, dir);
      return run(dir, root, http, api);
    } finally {
      prometheus.destroy();
      if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  private static DemoRecording run(Path dir, Path root, HttpClient http, URI api) throws Exception {
    Lines out = new Lines();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    long start = System.currentTimeMillis();
    CompletableFuture<Integer> demo =
        CompletableFuture.supplyAsync(
            () ->
                Main.run(
                    new String[] {
                      "demo", "--duration", "10s", "--seed", "7", "--reports", dir.toString()
                    },
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)));
    String address = null;
    String lastScrape = "";
    String statusPage = "";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!demo.isDone() && System.nanoTime() < deadline) {
      if (address == null) {
        Matcher m = METRICS_URL.matcher(out.text());
        if (m.find()) {
          address = m.group(1);
          Path tmp = dir.resolve("targets.json.tmp");
          Files.writeString(tmp, "[{\"targets\": [\"" + address + "\"]}]");
          Files.move(tmp, dir.resolve("targets.json"), StandardCopyOption.ATOMIC_MOVE);
        }
      } else {
        try {
          lastScrape = get(http, URI.create("http://" + address + "/metrics"));
          statusPage = get(http, URI.create("http://" + address + "/"));
        } catch (IOException e) {
          // The demo has closed its status server: the run is ending.
        }
      }
      try {
        // The pace of this test's own scrape; the demo's end ends the wait.
        demo.get(address == null ? 20 : 1000, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        // Next scrape.
      }
    }
    int status = demo.get(30, TimeUnit.SECONDS);
    long end = System.currentTimeMillis();
    Map<Map<String, String>, List<Long>> firing = new LinkedHashMap<>();
    for (JsonNode series :
        queryRange(http, api, "ALERTS{alertstate=\"firing\"}", start, end).path("result")) {
      Map<String, String> labels = new LinkedHashMap<>();
      series
          .path("metric")
          .properties()
          .forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
      labels.remove("alertstate");
      labels.remove("__name__");
      List<Long> at = new ArrayList<>();
      series.path("values").forEach(v -> at.add(v.get(0).asLong()));
      firing.put(labels, at);
    }
    Map<String, Boolean> hasData = new LinkedHashMap<>();
    List<String> exprs = new ArrayList<>(Dashboard.expressions(root));
    exprs.addAll(AlertRules.expressions(Files.readString(root.resolve("docs/alerts.yml"))));
    for (String expr : exprs) {
      hasData.put(expr, !queryRange(http, api, expr, start, end).path("result").isEmpty());
    }
    return new DemoRecording(
        dir,
        status,
        out.lines(),
        err.toString(StandardCharsets.UTF_8),
        lastScrape,
        statusPage,
        start,
        end,
        firing,
        hasData);
  }

  private static JsonNode queryRange(HttpClient http, URI api, String expr, long from, long to)
      throws IOException, InterruptedException {
    String q =
        "/api/v1/query_range?query="
            + URLEncoder.encode(expr, StandardCharsets.UTF_8)
            + "&start="
            + from / 1000
            + "&end="
            + (to / 1000 + 1)
            + "&step=1";
    JsonNode answer = JSON.readTree(get(http, api.resolve(q)));
    if (!"success".equals(answer.path("status").asText())) {
      throw new AssertionError("Prometheus rejected " + expr + ": " + answer);
    }
    return answer.path("data");
  }

  private static String get(HttpClient http, URI uri) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2 && r.statusCode() != 400 && r.statusCode() != 422) {
      throw new IOException(uri + ": HTTP " + r.statusCode());
    }
    return r.body();
  }

  private static void awaitReady(HttpClient http, URI api, Process p, Path dir) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError(
            "prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
      }
      try {
        if (http.send(
                    HttpRequest.newBuilder(api.resolve("/-/ready"))
                        .timeout(Duration.ofSeconds(1))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      }
      p.waitFor(50, TimeUnit.MILLISECONDS);
    }
    throw new AssertionError("prometheus not ready within 30 s");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Collects what the demo prints, line by line with the time, readable while it runs. */
  private static final class Lines extends OutputStream {
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private final List<Line> lines = new ArrayList<>();
    private final StringBuilder all = new StringBuilder();

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        String text = current.toString(StandardCharsets.UTF_8);
        lines.add(new Line(System.currentTimeMillis(), text));
        all.append(text).append('\n');
        current.reset();
      } else {
        current.write(b);
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      for (int i = off; i < off + len; i++) {
        write(b[i]);
      }
    }

    synchronized String text() {
      return all.toString();
    }

    synchronized List<Line> lines() {
      return List.copyOf(lines);
    }
  }
}
