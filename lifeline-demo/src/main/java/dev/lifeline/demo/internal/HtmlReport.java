package dev.lifeline.demo.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Writes the demo's self-contained HTML report: one inline SVG (no script, no network) answering
 * "when?", and the summary and per-second tables.
 *
 * <p>The SVG has three aligned panels on one time axis in seconds (calls/s with degraded and failed
 * calls; p99 latency in ms; retries, NOT_ACTIVE answers and failures per second), then two bands
 * (the Storage breaker's state and the active OrderService member). Each fault is a shaded span
 * from its injection to its measured recovery, across every panel, labelled above the panels in
 * rows chosen so that no two labels overlap. Elements carry classes ({@code panel}, {@code axis},
 * {@code tick}, {@code series}, {@code fault-span}, {@code fault-label}, {@code band}) for tests
 * and styling. Stateless.
 */
final class HtmlReport {

  private static final String[] PALETTE = {"#4e79a7", "#59a14f", "#b07aa1", "#9c755f", "#76b7b2"};
  private static final int WIDTH = 960;
  private static final int LEFT = 112;
  private static final int RIGHT = 24;
  private static final int PLOT_W = WIDTH - LEFT - RIGHT;
  private static final int LABEL_ROW = 15;
  private static final int PANEL_GAP = 34;
  private static final int BAND_H = 16;

  /** Width of a label character at font-size 11, a little generous, for the overlap check. */
  static final double CHAR_W = 6.6;

  /** A plotted series: its name, colour and value per second. */
  private record Series(String name, String color, ToDoubleFunction<Timeline.Second> value) {}

  private HtmlReport() {}

  static void write(
      Path path,
      List<Timeline.Second> seconds,
      List<Timeline.Fault> faults,
      List<String[]> summary,
      String title)
      throws IOException {
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(esc(title))
        .append("</title><style>body{font-family:sans-serif;margin:24px;color:#222}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;")
        .append("text-align:left}svg{background:#fff;border:1px solid #ddd}")
        .append("svg text{font-family:sans-serif}</style></head><body><h1>")
        .append(esc(title))
        .append("</h1>");
    h.append(svg(seconds, faults));
    h.append("<h2>Summary</h2><table>");
    for (String[] row : summary) {
      h.append("<tr><th>").append(esc(row[0])).append("</th><td>").append(esc(row[1]));
      h.append("</td></tr>");
    }
    h.append("</table><h2>Faults</h2><table><tr><th>fault</th><th>injected (s)</th>")
        .append("<th>recovered (s)</th><th>took</th></tr>");
    for (Timeline.Fault f : faults) {
      h.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%.1f</td><td>%s</td><td>%s</td></tr>",
              esc(f.name()),
              f.startMillis() / 1000.0,
              f.endMillis() < 0 ? "not recovered" : fmt(f.endMillis() / 1000.0),
              f.endMillis() < 0 ? "-" : (f.endMillis() - f.startMillis()) + " ms"));
    }
    h.append("</table><h2>Per second</h2><table><tr><th>s</th><th>calls</th><th>degraded</th>")
        .append("<th>failed</th><th>retries</th><th>NOT_ACTIVE</th><th>p99 ms</th>")
        .append("<th>breaker</th><th>active</th></tr>");
    for (Timeline.Second s : seconds) {
      h.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td>"
                  + "<td>%.1f</td><td>%s</td><td>%s</td></tr>",
              s.second(),
              s.calls(),
              s.degraded(),
              s.failed(),
              s.retries(),
              s.notActive(),
              s.p99Millis(),
              esc(s.breaker()),
              esc(s.active())));
    }
    h.append("</table></body></html>\n");
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(path, h.toString());
  }

  /** The SVG; {@code seconds.get(i)} covers time [i, i+1) s. */
  static String svg(List<Timeline.Second> seconds, List<Timeline.Fault> faults) {
    double duration = Math.max(1, seconds.size());
    List<double[]> spans = new ArrayList<>();
    for (Timeline.Fault f : faults) {
      double end = f.endMillis() < 0 ? duration : f.endMillis() / 1000.0;
      spans.add(new double[] {f.startMillis() / 1000.0, Math.max(end, f.startMillis() / 1000.0)});
    }
    List<String> labels = new ArrayList<>();
    for (Timeline.Fault f : faults) {
      labels.add(
          f.name()
              + (f.endMillis() < 0
                  ? " (not recovered)"
                  : " (" + (f.endMillis() - f.startMillis()) + " ms)"));
    }
    int[] rows = labelRows(spans, labels, duration);
    int rowCount = 0;
    for (int r : rows) {
      rowCount = Math.max(rowCount, r + 1);
    }
    int top = 12 + rowCount * LABEL_ROW + 8;
    int callsH = 150;
    int p99H = 100;
    int eventsH = 100;
    int callsTop = top;
    int p99Top = callsTop + callsH + PANEL_GAP;
    int eventsTop = p99Top + p99H + PANEL_GAP;
    int breakerTop = eventsTop + eventsH + PANEL_GAP;
    int activeTop = breakerTop + BAND_H + 6;
    int height = activeTop + BAND_H + 44;

    StringBuilder g = new StringBuilder();
    g.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d"
                + " %d\" font-size=\"11\">",
            WIDTH,
            height,
            WIDTH,
            height));
    // Fault spans first, so that the series are drawn over them.
    for (int i = 0; i < faults.size(); i++) {
      double x0 = x(spans.get(i)[0], duration);
      double x1 = Math.max(x0 + 2, x(spans.get(i)[1], duration));
      g.append(
          String.format(
              Locale.ROOT,
              "<rect class=\"fault-span\" data-fault=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\""
                  + " height=\"%d\" fill=\"#8c8c8c\" fill-opacity=\"0.16\"><title>%s</title></rect>",
              esc(faults.get(i).name()),
              x0,
              callsTop,
              x1 - x0,
              activeTop + BAND_H - callsTop,
              esc(labels.get(i))));
      g.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#666\""
                  + " stroke-dasharray=\"3 3\"/>",
              x0,
              12 + rows[i] * LABEL_ROW + 2,
              x0,
              activeTop + BAND_H));
      g.append(
          String.format(
              Locale.ROOT,
              "<text class=\"fault-label\" x=\"%.1f\" y=\"%d\" data-width=\"%.1f\""
                  + " fill=\"#333\">%s</text>",
              x0 + 3,
              12 + rows[i] * LABEL_ROW,
              labels.get(i).length() * CHAR_W,
              esc(labels.get(i))));
    }
    panel(
        g,
        "calls",
        "calls/s",
        seconds,
        duration,
        callsTop,
        callsH,
        List.of(
            new Series("calls/s", "#4e79a7", s -> s.calls()),
            new Series("degraded/s (served from cache)", "#edc948", s -> s.degraded()),
            new Series("failed/s", "#e15759", s -> s.failed())));
    panel(
        g,
        "p99",
        "p99 (ms)",
        seconds,
        duration,
        p99Top,
        p99H,
        List.of(
            new Series(
                "p99 latency of the calls finished in that second",
                "#59a14f",
                s -> s.p99Millis())));
    panel(
        g,
        "events",
        "per second",
        seconds,
        duration,
        eventsTop,
        eventsH,
        List.of(
            new Series("retries", "#f28e2b", s -> s.retries()),
            new Series("NOT_ACTIVE answers", "#b07aa1", s -> s.notActive()),
            new Series("failed calls", "#e15759", s -> s.failed())));
    band(g, "breaker", "Storage breaker", seconds, duration, breakerTop, s -> s.breaker(), true);
    band(g, "active", "active member", seconds, duration, activeTop, s -> s.active(), false);
    g.append(
        String.format(
            Locale.ROOT,
            "<text class=\"axis-label\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">time since the"
                + " workload started (s); shaded: a fault, from injection to measured"
                + " recovery</text>",
            LEFT + PLOT_W / 2.0,
            height - 8));
    return g.append("</svg>").toString();
  }

  /**
   * The label row of each fault: the first row where its label (text width from {@link #CHAR_W})
   * does not overlap a label already placed. Labels start at their span's start.
   */
  static int[] labelRows(List<double[]> spans, List<String> labels, double duration) {
    int[] rows = new int[spans.size()];
    List<List<double[]>> taken = new ArrayList<>();
    for (int i = 0; i < spans.size(); i++) {
      double a = x(spans.get(i)[0], duration);
      double b = a + 3 + labels.get(i).length() * CHAR_W + 6;
      int row = 0;
      while (true) {
        if (row == taken.size()) {
          taken.add(new ArrayList<>());
        }
        boolean free = true;
        for (double[] t : taken.get(row)) {
          if (a < t[1] && t[0] < b) {
            free = false;
            break;
          }
        }
        if (free) {
          taken.get(row).add(new double[] {a, b});
          rows[i] = row;
          break;
        }
        row++;
      }
    }
    return rows;
  }

  private static double x(double seconds, double duration) {
    return LEFT + seconds / duration * PLOT_W;
  }

  private static void panel(
      StringBuilder g,
      String name,
      String unit,
      List<Timeline.Second> seconds,
      double duration,
      int top,
      int h,
      List<Series> series) {
    double max = 0;
    for (Series s : series) {
      for (Timeline.Second sec : seconds) {
        max = Math.max(max, s.value().applyAsDouble(sec));
      }
    }
    double yMax = nice(max);
    g.append(String.format(Locale.ROOT, "<g class=\"panel\" data-name=\"%s\">", name));
    int bottom = top + h;
    // Axes.
    g.append(
        String.format(
            Locale.ROOT,
            "<line class=\"axis x\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>",
            LEFT,
            bottom,
            LEFT + PLOT_W,
            bottom));
    g.append(
        String.format(
            Locale.ROOT,
            "<line class=\"axis y\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>",
            LEFT,
            top,
            LEFT,
            bottom));
    g.append(
        String.format(
            Locale.ROOT,
            "<text class=\"axis-label\" transform=\"translate(%d %.1f) rotate(-90)\""
                + " text-anchor=\"middle\">%s</text>",
            LEFT - 40,
            top + h / 2.0,
            esc(unit)));
    // Y ticks: 0, half, max.
    for (int k = 0; k <= 2; k++) {
      double v = yMax * k / 2;
      double y = bottom - h * k / 2.0;
      g.append(
          String.format(
              Locale.ROOT,
              "<g class=\"tick y\"><line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
                  + " stroke=\"#444\"/><line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
                  + " stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text></g>",
              LEFT - 4,
              y,
              LEFT,
              y,
              LEFT + 1,
              y,
              LEFT + PLOT_W,
              y,
              LEFT - 6,
              y + 4,
              fmt(v)));
    }
    xTicks(g, duration, bottom);
    for (Series s : series) {
      StringBuilder p = new StringBuilder();
      for (int i = 0; i < seconds.size(); i++) {
        double v = s.value().applyAsDouble(seconds.get(i));
        p.append(
            String.format(
                Locale.ROOT,
                "%.1f,%.1f ",
                x(i + 0.5, duration),
                bottom - (yMax <= 0 ? 0 : v / yMax * h)));
      }
      g.append(
          String.format(
              Locale.ROOT,
              "<polyline class=\"series\" data-name=\"%s\" fill=\"none\" stroke-width=\"1.8\""
                  + " stroke=\"%s\" points=\"%s\"/>",
              esc(s.name()),
              s.color(),
              p.toString().strip()));
    }
    // Legend, right-aligned above the panel.
    double lx = LEFT + PLOT_W;
    for (int i = series.size() - 1; i >= 0; i--) {
      Series s = series.get(i);
      lx -= s.name().length() * CHAR_W + 22;
      g.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%d\" width=\"10\" height=\"3\" fill=\"%s\"/>"
                  + "<text x=\"%.1f\" y=\"%d\">%s</text>",
              lx,
              top - 7,
              s.color(),
              lx + 14,
              top - 3,
              esc(s.name())));
    }
    g.append("</g>");
  }

  /** Ticks on the time axis at a step that gives at most about 12 of them. */
  private static void xTicks(StringBuilder g, double duration, int y) {
    int step = 1;
    for (int s : new int[] {1, 2, 5, 10, 15, 30, 60, 120, 300, 600}) {
      step = s;
      if (duration / s <= 12) {
        break;
      }
    }
    for (int t = 0; t <= duration; t += step) {
      double x = x(t, duration);
      g.append(
          String.format(
              Locale.ROOT,
              "<g class=\"tick x\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                  + " stroke=\"#444\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d s</text>"
                  + "</g>",
              x,
              y,
              x,
              y + 4,
              x,
              y + 15,
              t));
    }
  }

  private static void band(
      StringBuilder g,
      String name,
      String title,
      List<Timeline.Second> seconds,
      double duration,
      int top,
      java.util.function.Function<Timeline.Second, String> value,
      boolean breaker) {
    Map<String, String> colors = new LinkedHashMap<>();
    g.append(String.format(Locale.ROOT, "<g class=\"band\" data-name=\"%s\">", name));
    g.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
            LEFT - 6,
            top + 12,
            esc(title)));
    for (int i = 0; i < seconds.size(); i++) {
      String v = value.apply(seconds.get(i));
      String c = colors.computeIfAbsent(v, k -> color(k, breaker, colors.size()));
      g.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%d-%d s:"
                  + " %s</title></rect>",
              x(i, duration),
              top,
              x(i + 1, duration) - x(i, duration) + 0.3,
              BAND_H,
              c,
              i,
              i + 1,
              esc(v)));
    }
    // Key to the right of the band's last state change is not needed: label each run instead.
    int i = 0;
    while (i < seconds.size()) {
      String v = value.apply(seconds.get(i));
      int j = i;
      while (j < seconds.size() && value.apply(seconds.get(j)).equals(v)) {
        j++;
      }
      double w = x(j, duration) - x(i, duration);
      if (w > v.length() * CHAR_W + 4) {
        g.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%.1f\" y=\"%d\" fill=\"#fff\">%s</text>",
                x(i, duration) + 3,
                top + 12,
                esc(v)));
      }
      i = j;
    }
    g.append("</g>");
  }

  private static String color(String value, boolean breaker, int index) {
    if (breaker) {
      return switch (value) {
        case "CLOSED" -> "#59a14f";
        case "OPEN" -> "#e15759";
        case "HALF_OPEN" -> "#f28e2b";
        default -> "#999";
      };
    }
    return "-".equals(value) || "n/a".equals(value) ? "#bbb" : PALETTE[index % PALETTE.length];
  }

  /** A round axis maximum at or above {@code max}: 1, 2 or 5 times a power of ten. */
  static double nice(double max) {
    if (max <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(max)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= max) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
