package dev.lifeline.demo.internal;

import dev.lifeline.testing.RunEnvironment;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one bench scenario in the contract's shape: scenario, environment, results,
 * ratios, figures and counts. Not thread-safe; filled by one scenario thread.
 */
public final class BenchReport {

  /** The note on a result or key whose Lifeline side is missing from this build. */
  public static final String NOT_AVAILABLE = "lifeline: not available in this build";

  private final String scenario;
  private final List<Map<String, @Nullable Object>> results = new ArrayList<>();
  private final Map<String, @Nullable Object> ratios = new LinkedHashMap<>();
  private final Map<String, @Nullable Object> figures = new LinkedHashMap<>();
  private final Map<String, @Nullable Object> counts = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final List<Table> tables = new ArrayList<>();

  /** A table printed after the results. */
  private record Table(String title, List<String> columns, List<List<Object>> rows) {
    Map<String, Object> toMap() {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("title", title);
      t.put("columns", columns);
      t.put("rows", rows);
      return t;
    }
  }

  /** Creates an empty report for {@code scenario}. */
  public BenchReport(String scenario) {
    this.scenario = scenario;
  }

  /** Adds a result row; {@code fields} alternate key and value. */
  public BenchReport result(String name, @Nullable Object... fields) {
    Map<String, @Nullable Object> row = new LinkedHashMap<>();
    row.put("name", name);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      row.put((String) fields[i], fields[i + 1]);
    }
    results.add(row);
    return this;
  }

  /** Adds a row for a side that is missing from this build. */
  public BenchReport unavailable(String name) {
    return result(name, "available", false, "note", NOT_AVAILABLE);
  }

  /** Sets a ratio; {@code null} when a side could not be measured. */
  public BenchReport ratio(String key, @Nullable Double value) {
    ratios.put(key, value);
    return this;
  }

  /** Sets a figure; {@code null} when it could not be measured. */
  public BenchReport figure(String key, @Nullable Double value) {
    figures.put(key, value);
    return this;
  }

  /** Sets a count; {@code null} when it could not be measured. */
  public BenchReport count(String key, @Nullable Long value) {
    counts.put(key, value);
    return this;
  }

  /**
   * Adds a table printed after the results and kept in the JSON under {@code tables} as {@code
   * {"title", "columns", "rows"}}.
   */
  public BenchReport table(String title, List<String> columns, List<List<Object>> rows) {
    tables.add(new Table(title, List.copyOf(columns), List.copyOf(rows)));
    return this;
  }

  /** Adds a line printed under the table and kept in the JSON. */
  public BenchReport note(String note) {
    notes.add(note);
    return this;
  }

  /** Returns {@code a / b}, or {@code null} when either is missing or {@code b} is zero. */
  public static @Nullable Double ratioOf(@Nullable Double a, @Nullable Double b) {
    if (a == null || b == null || b == 0.0) {
      return null;
    }
    return a / b;
  }

  /** Returns the contract's JSON object. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scenario", scenario);
    m.put("environment", environment());
    m.put("results", results);
    m.put("ratios", ratios);
    m.put("figures", figures);
    m.put("counts", counts);
    if (!tables.isEmpty()) {
      m.put("tables", tables.stream().map(Table::toMap).toList());
    }
    if (!notes.isEmpty()) {
      m.put("notes", notes);
    }
    return m;
  }

  static Map<String, Object> environment() {
    return RunEnvironment.describe();
  }

  /** Prints the results as a table, then ratios, figures, counts and notes. */
  public void print(PrintStream out) {
    Map<String, Object> env = environment();
    out.printf(
        Locale.ROOT,
        "%nbench %s  (%s cpus, %s, %s)%n",
        scenario,
        env.get("cpus"),
        env.get("jvm"),
        env.get("os"));
    Set<String> columns = new LinkedHashSet<>();
    for (Map<String, @Nullable Object> row : results) {
      columns.addAll(row.keySet());
    }
    List<String> cols = new ArrayList<>(columns);
    List<List<String>> cells = new ArrayList<>();
    for (Map<String, @Nullable Object> row : results) {
      List<String> line = new ArrayList<>();
      for (String c : cols) {
        line.add(cell(row.get(c)));
      }
      cells.add(line);
    }
    printTable(out, cols, cells);
    for (Table t : tables) {
      out.println();
      out.println(t.title());
      List<List<String>> tc = new ArrayList<>();
      for (List<Object> row : t.rows()) {
        List<String> line = new ArrayList<>();
        for (Object v : row) {
          line.add(cell(v));
        }
        tc.add(line);
      }
      printTable(out, t.columns(), tc);
    }
    out.println();
    printSection(out, "ratios", ratios);
    printSection(out, "figures", figures);
    printSection(out, "counts", counts);
    for (String n : notes) {
      out.println("note: " + n);
    }
  }

  private static void printTable(PrintStream out, List<String> cols, List<List<String>> cells) {
    int[] width = new int[cols.size()];
    for (int i = 0; i < cols.size(); i++) {
      width[i] = cols.get(i).length();
      for (List<String> line : cells) {
        width[i] = Math.max(width[i], line.get(i).length());
      }
    }
    StringBuilder header = new StringBuilder();
    for (int i = 0; i < cols.size(); i++) {
      header.append(
          String.format(
              Locale.ROOT, i == 0 ? "%-" + width[i] + "s" : "  %" + width[i] + "s", cols.get(i)));
    }
    out.println(header);
    out.println("-".repeat(header.length()));
    for (List<String> line : cells) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < cols.size(); i++) {
        sb.append(
            String.format(
                Locale.ROOT, i == 0 ? "%-" + width[i] + "s" : "  %" + width[i] + "s", line.get(i)));
      }
      out.println(sb);
    }
  }

  private static void printSection(
      PrintStream out, String title, Map<String, @Nullable Object> values) {
    for (Map.Entry<String, @Nullable Object> e : values.entrySet()) {
      out.printf(
          Locale.ROOT,
          "%-8s %-34s %s%n",
          title,
          e.getKey(),
          e.getValue() == null ? "n/a (" + NOT_AVAILABLE + ")" : cell(e.getValue()));
    }
  }

  private static String cell(@Nullable Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        return "n/a";
      }
      return Math.abs(d) >= 100
          ? String.format(Locale.ROOT, "%.0f", d)
          : String.format(Locale.ROOT, "%.2f", d);
    }
    return String.valueOf(v);
  }
}
