package dev.lifeline.http;

import dev.lifeline.core.internal.Check;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Where a client runs. It only supplies defaults: in {@link #PRODUCTION} a failed health check
 * throws and disabling TLS verification is refused unless forced. Each of those is also an explicit
 * {@link HttpClientConfig.Builder} option. Immutable and thread-safe.
 */
public enum Environment {
  /** A developer's machine. */
  DEVELOPMENT,
  /** Automated tests and CI. */
  TEST,
  /** A production-like rehearsal. */
  STAGING,
  /** Serving real traffic. */
  PRODUCTION;

  /**
   * The environment named {@code name}, case-insensitive, e.g. from an {@code ENVIRONMENT}
   * variable.
   *
   * @throws IllegalArgumentException if {@code name} is none of the environments
   */
  public static Environment of(String name) {
    if (name != null) {
      for (Environment e : values()) {
        if (e.name().equalsIgnoreCase(name.trim())) {
          return e;
        }
      }
    }
    throw Check.invalid(
        "environment",
        "'" + name + "'",
        "one of "
            + Arrays.stream(values()).map(Environment::value).collect(Collectors.joining(", ")));
  }

  /** The lower-case name used in logs, e.g. {@code production}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }
}
