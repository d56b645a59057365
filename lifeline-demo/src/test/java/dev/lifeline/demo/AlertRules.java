package dev.lifeline.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads {@code docs/alerts.yml} as text, the way the tests need it. Stateless. */
final class AlertRules {

  private static final Pattern RANGE = Pattern.compile("\\[(\\d+)([smh])\\]");
  private static final Pattern FOR = Pattern.compile("(for: )(\\d+)([smh])");

  private AlertRules() {}

  /**
   * The same rules on the time scale of a 10 s demo: every range 100 times shorter but at least 3
   * s, so that a rate still sees three 1 s scrapes (5m becomes 3 s), and every {@code for:} 300
   * times shorter (5m becomes 1 s), so that a 3 s fault can hold a condition that long. Thresholds
   * and expressions are unchanged.
   */
  static String shortened(String rules) {
    return scale(FOR, scale(RANGE, rules, true), false);
  }

  private static String scale(Pattern p, String text, boolean range) {
    Matcher m = p.matcher(text);
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      int last = m.groupCount();
      long n = Long.parseLong(m.group(last - 1));
      long ms =
          switch (m.group(last)) {
            case "s" -> n * 1000;
            case "m" -> n * 60_000;
            default -> n * 3_600_000;
          };
      String d = (range ? Math.max(3000, ms / 100) : ms / 300) + "ms";
      m.appendReplacement(b, range ? "[" + d + "]" : m.group(1) + d);
    }
    m.appendTail(b);
    return b.toString();
  }

  /** Each rule's {@code expr}, single-line or block. */
  static List<String> expressions(String rules) {
    List<String> out = new ArrayList<>();
    String[] lines = rules.split("\n");
    for (int i = 0; i < lines.length; i++) {
      String t = lines[i].strip();
      if (!t.startsWith("expr:")) {
        continue;
      }
      String v = t.substring("expr:".length()).strip();
      if (!v.equals("|")) {
        out.add(v);
        continue;
      }
      int indent = lines[i].indexOf("expr:");
      StringBuilder block = new StringBuilder();
      while (i + 1 < lines.length
          && (lines[i + 1].isBlank() || lines[i + 1].indexOf(lines[i + 1].strip()) > indent)) {
        block.append(lines[++i].strip()).append('\n');
      }
      out.add(block.toString().strip());
    }
    return out;
  }
}
