package dev.lifeline.demo.internal;

import com.sun.net.httpserver.HttpServer;
import dev.lifeline.core.CircuitBreakers;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The demo's HTTP endpoints while it runs: Prometheus metrics on {@code /metrics} and a status page
 * on {@code /} (services, the OrderService group's roles, the circuit breakers), refreshed every
 * second. Thread-safe: each request reads the registry, the timeline and the group, which are.
 */
final class StatusPage {

  private StatusPage() {}

  /** Serves {@code /metrics} and the status page on a free port of 127.0.0.1; started. */
  static HttpServer start(
      PrometheusMeterRegistry registry,
      Timeline timeline,
      OrderGroup orders,
      List<String[]> services,
      List<CircuitBreakers> breakers)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext(
        "/metrics",
        ex -> {
          byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        });
    server.createContext(
        "/",
        ex -> {
          StringBuilder html =
              new StringBuilder(
                  "<!doctype html><html><head><meta charset=\"utf-8\">"
                      + "<meta http-equiv=\"refresh\" content=\"1\">"
                      + "<title>Lifeline demo status</title></head><body><h1>Lifeline demo</h1>");
          html.append("<p>calls ")
              .append(timeline.totalCalls())
              .append(", degraded ")
              .append(timeline.totalDegraded())
              .append(", failed ")
              .append(timeline.totalFailed())
              .append("</p><h2>Services</h2>");
          row(html, "th", "workload", "Lifeline service", "server", "address");
          for (String[] r : services) {
            row(html, "td", r);
          }
          html.append("</table><h2>OrderService group</h2>");
          row(html, "th", "member id", "address", "role");
          for (String[] m : orders.roles()) {
            row(html, "td", m);
          }
          html.append("</table><h2>Circuit breakers</h2>");
          row(html, "th", "service", "target", "state", "failure rate");
          for (CircuitBreaker b :
              breakers.stream()
                  .flatMap(c -> c.registry().getAllCircuitBreakers().stream())
                  .toList()) {
            // Lifeline names a breaker "service target".
            String[] name = b.getName().split(" ", 2);
            row(
                html,
                "td",
                name[0],
                name.length > 1 ? name[1] : "",
                b.getState().name(),
                String.format(Locale.ROOT, "%.0f%%", Math.max(0, b.getMetrics().getFailureRate())));
          }
          html.append("</table><p><a href=\"/metrics\">/metrics</a></p></body></html>");
          byte[] body = html.toString().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        });
    server.start();
    return server;
  }

  /** Appends a table row (opening the table before a header row), each cell escaped. */
  private static void row(StringBuilder html, String cell, String... values) {
    if (cell.equals("th")) {
      html.append("<table border=\"1\">");
    }
    html.append("<tr>");
    for (String v : values) {
      html.append('<')
          .append(cell)
          .append('>')
          .append(HtmlReport.esc(v))
          .append("</")
          .append(cell)
          .append('>');
    }
    html.append("</tr>");
  }
}
