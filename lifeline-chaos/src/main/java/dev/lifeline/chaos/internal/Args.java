package dev.lifeline.chaos.internal;

import dev.lifeline.core.internal.Check;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} command-line arguments, checked against the names a command knows. */
public final class Args {

  private final Map<String, String> values;

  private Args(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Parses {@code --name value} pairs.
   *
   * @throws IllegalArgumentException for an argument without {@code --} or without a value
   */
  public static Args parse(String[] argv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < argv.length; i += 2) {
      String name = argv[i];
      if (!name.startsWith("--") || i + 1 >= argv.length) {
        throw Check.invalid("argument", "'" + name + "'", "--name value pairs");
      }
      m.put(name.substring(2), argv[i + 1]);
    }
    return new Args(m);
  }

  /**
   * Rejects names outside {@code known}.
   *
   * @throws IllegalArgumentException naming the first unknown argument and the known ones
   */
  public Args only(Set<String> known) {
    for (String name : values.keySet()) {
      if (!known.contains(name)) {
        throw Check.invalid("--" + name, "unknown argument", "one of " + known);
      }
    }
    return this;
  }

  /** The value of {@code --name}, or {@code fallback}. */
  public String value(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  /**
   * The value of {@code --name}.
   *
   * @throws IllegalArgumentException if it is missing
   */
  public String required(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + ": missing");
    }
    return v;
  }

  /**
   * The integer value of {@code --name}, or {@code fallback}.
   *
   * @throws IllegalArgumentException if it is not an integer
   */
  public int intValue(String name, int fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw Check.invalid("--" + name, "'" + v + "'", "an integer");
    }
  }

  /**
   * The long value of {@code --name}, or {@code fallback}.
   *
   * @throws IllegalArgumentException if it is not an integer
   */
  public long longValue(String name, long fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw Check.invalid("--" + name, "'" + v + "'", "an integer");
    }
  }
}
