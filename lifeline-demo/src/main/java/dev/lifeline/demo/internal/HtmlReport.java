package dev.lifeline.demo.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Writes the demo's self-contained HTML report with an inline SVG timeline. Stateless. */
final class HtmlReport {

  private static final String[] PALETTE = {"#4e79a7", "#59a14f", "#b07aa1", "#9c755f", "#76b7b2"};

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
        .append("text-align:left}svg{background:#fafafa;border:1px solid #ddd}")
        .append(".k{display:inline-block;width:12px;height:12px;margin:0 4px 0 14px}</style>")
        .append("</head><body><h1>")
        .append(esc(title))
        .append("</h1>");
    h.append(svg(seconds, faults));
    h.append("<p><span class=\"k\" style=\"background:#4e79a7\"></span>calls/s")
        .append("<span class=\"k\" style=\"background:#e15759\"></span>failed calls")
        .append("<span class=\"k\" style=\"background:#f28e2b\"></span>retries")
        .append("<span class=\"k\" style=\"background:#999\"></span>faults;")
        .append(" bottom band: active OrderService instance</p>");
    h.append("<h2>Summary</h2><table>");
    for (String[] row : summary) {
      h.append("<tr><th>").append(esc(row[0])).append("</th><td>").append(esc(row[1]));
      h.append("</td></tr>");
    }
    h.append("</table><h2>Per second</h2><table><tr><th>s</th><th>calls</th><th>failed</th>")
        .append("<th>retries</th><th>NOT_ACTIVE</th><th>p99 ms</th><th>breaker</th>")
        .append("<th>active</th></tr>");
    for (Timeline.Second s : seconds) {
      h.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%.1f</td>"
                  + "<td>%s</td><td>%s</td></tr>",
              s.second(),
              s.calls(),
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

  private static String svg(List<Timeline.Second> seconds, List<Timeline.Fault> faults) {
    int w = 900;
    int plotH = 240;
    int band = 24;
    int left = 50;
    int top = 20;
    int n = Math.max(1, seconds.size());
    long max = 1;
    for (Timeline.Second s : seconds) {
      max = Math.max(max, Math.max(s.calls(), Math.max(s.failed(), s.retries())));
    }
    double dx = (w - left - 10) / (double) n;
    double sy = plotH / (double) max;
    StringBuilder g = new StringBuilder();
    int height = top + plotH + band + 40;
    g.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">",
            w,
            height));
    g.append(
        String.format(
            Locale.ROOT, "<text x=\"4\" y=\"%d\" font-size=\"11\">%d</text>", top + 4, max));
    g.append(
        String.format(
            Locale.ROOT, "<text x=\"4\" y=\"%d\" font-size=\"11\">0</text>", top + plotH));
    g.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>",
            left,
            top + plotH,
            w - 10,
            top + plotH));
    for (int i = 0; i < seconds.size(); i++) {
      Timeline.Second s = seconds.get(i);
      if (s.failed() > 0) {
        double bh = s.failed() * sy;
        g.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#e15759\"><title>%ds: %d failed</title></rect>",
                left + i * dx,
                top + plotH - bh,
                Math.max(1, dx - 1),
                bh,
                s.second(),
                s.failed()));
      }
    }
    g.append(polyline(seconds, left, top, plotH, dx, sy, true, "#4e79a7"));
    g.append(polyline(seconds, left, top, plotH, dx, sy, false, "#f28e2b"));
    Map<String, String> colors = new LinkedHashMap<>();
    for (int i = 0; i < seconds.size(); i++) {
      String a = seconds.get(i).active();
      String c =
          colors.computeIfAbsent(
              a,
              k ->
                  "-".equals(k) || "n/a".equals(k)
                      ? "#ddd"
                      : PALETTE[colors.size() % PALETTE.length]);
      g.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%ds: active %s</title></rect>",
              left + i * dx,
              top + plotH + 6,
              dx + 0.5,
              band - 8,
              c,
              seconds.get(i).second(),
              esc(a)));
    }
    List<String> labels = new ArrayList<>();
    for (Timeline.Fault f : faults) {
      double x = left + f.startMillis() / 1000.0 * dx;
      g.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
              x,
              top,
              x,
              top + plotH + band));
      g.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#555\">%s</text>",
              x + 3,
              top + 12 + 12 * (labels.size() % 4),
              esc(f.name())));
      labels.add(f.name());
    }
    int lx = left;
    for (Map.Entry<String, String> e : colors.entrySet()) {
      g.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
              lx,
              height - 14,
              e.getValue(),
              lx + 14,
              height - 5,
              esc(e.getKey())));
      lx += 30 + 7 * e.getKey().length();
    }
    g.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">time (s) &#8594; %d s</text>",
            w - 130,
            height - 5,
            seconds.size()));
    return g.append("</svg>").toString();
  }

  private static String polyline(
      List<Timeline.Second> seconds,
      int left,
      int top,
      int plotH,
      double dx,
      double sy,
      boolean calls,
      String color) {
    StringBuilder p =
        new StringBuilder(
            "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + color + "\" points=\"");
    for (int i = 0; i < seconds.size(); i++) {
      long v = calls ? seconds.get(i).calls() : seconds.get(i).retries();
      p.append(
          String.format(Locale.ROOT, "%.1f,%.1f ", left + (i + 0.5) * dx, top + plotH - v * sy));
    }
    return p.append("\"/>").toString();
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
