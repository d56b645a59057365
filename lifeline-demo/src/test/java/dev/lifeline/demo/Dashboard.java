package dev.lifeline.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code docs/grafana-dashboard.json}. Stateless. */
final class Dashboard {

  private Dashboard() {}

  /** Every panel target's PromQL expression, in panel order. */
  static List<String> expressions(Path root) throws IOException {
    JsonNode d = new ObjectMapper().readTree(root.resolve("docs/grafana-dashboard.json").toFile());
    List<String> out = new ArrayList<>();
    for (JsonNode e : d.findValues("expr")) {
      out.add(e.asText());
    }
    return out;
  }

  /** Each panel's title with its expressions. */
  static List<String[]> panels(Path root) throws IOException {
    JsonNode d = new ObjectMapper().readTree(root.resolve("docs/grafana-dashboard.json").toFile());
    List<String[]> out = new ArrayList<>();
    for (JsonNode p : d.path("panels")) {
      for (JsonNode e : p.findValues("expr")) {
        out.add(new String[] {p.path("title").asText(), e.asText()});
      }
    }
    return out;
  }
}
