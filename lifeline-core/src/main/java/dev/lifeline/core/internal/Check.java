package dev.lifeline.core.internal;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Argument checks for Lifeline's setters and builders, so that every bad value gets the same kind
 * of message: the field, the value given, and what was expected, as in {@code "maxAttempts: 0
 * (expected: >= 1 and <= 100)"}. Each check returns its value, so that a setter can check and
 * assign in one line.
 *
 * <p>Durations in the expectation are shown in the largest whole unit ({@code 1 ms}, {@code 10 s});
 * the value is shown as the user's {@code Duration} prints.
 *
 * <p>Stateless and thread-safe.
 */
public final class Check {

  private Check() {}

  /**
   * {@code value}, if it lies in {@code [min, max]}.
   *
   * @throws IllegalArgumentException naming {@code field}, otherwise
   */
  public static int inRange(String field, int value, int min, int max) {
    if (value < min || value > max) {
      throw invalid(field, value, ">= " + min + " and <= " + max);
    }
    return value;
  }

  /**
   * {@code value}, if it lies in {@code [min, max]}.
   *
   * @throws IllegalArgumentException naming {@code field}, otherwise
   */
  public static long inRange(String field, long value, long min, long max) {
    if (value < min || value > max) {
      throw invalid(field, value, ">= " + min + " and <= " + max);
    }
    return value;
  }

  /**
   * {@code value}, if it lies in {@code [min, max]}; {@code NaN} never does.
   *
   * @throws IllegalArgumentException naming {@code field}, otherwise
   */
  public static double inRange(String field, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw invalid(field, value, ">= " + show(min) + " and <= " + show(max));
    }
    return value;
  }

  /**
   * {@code value}, if it lies in {@code (min, max]}: above {@code min}, for a rate or share where
   * the lower bound itself means nothing; {@code NaN} never does.
   *
   * @throws IllegalArgumentException naming {@code field}, otherwise
   */
  public static double aboveAndAtMost(String field, double value, double min, double max) {
    if (!(value > min && value <= max)) {
      throw invalid(field, value, "> " + show(min) + " and <= " + show(max));
    }
    return value;
  }

  /**
   * {@code value}, if it is at least {@code min}.
   *
   * @throws IllegalArgumentException naming {@code field}, otherwise
   */
  public static int atLeast(String field, int value, int min) {
    if (value < min) {
      throw invalid(field, value, ">= " + min);
    }
    return value;
  }

  /**
   * {@code value}, if it is at least {@code min}.
   *
   * @throws IllegalArgumentException naming {@code field}, otherwise
   */
  public static long atLeast(String field, long value, long min) {
    if (value < min) {
      throw invalid(field, value, ">= " + min);
    }
    return value;
  }

  /**
   * {@code value}, if it lies in {@code [min, max]}.
   *
   * @throws NullPointerException naming {@code field}, if {@code value} is null
   * @throws IllegalArgumentException naming {@code field}, if it lies outside
   */
  public static Duration inRange(
      String field, @Nullable Duration value, Duration min, Duration max) {
    Objects.requireNonNull(value, field);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw invalid(field, value, ">= " + show(min) + " and <= " + show(max));
    }
    return value;
  }

  /**
   * {@code value}, if it is at least {@code min}.
   *
   * @throws NullPointerException naming {@code field}, if {@code value} is null
   * @throws IllegalArgumentException naming {@code field}, if it is shorter
   */
  public static Duration atLeast(String field, @Nullable Duration value, Duration min) {
    Objects.requireNonNull(value, field);
    if (value.compareTo(min) < 0) {
      throw invalid(field, value, ">= " + show(min));
    }
    return value;
  }

  /**
   * {@code value}, if it is longer than zero.
   *
   * @throws NullPointerException naming {@code field}, if {@code value} is null
   * @throws IllegalArgumentException naming {@code field}, if it is zero or negative
   */
  public static Duration positive(String field, @Nullable Duration value) {
    Objects.requireNonNull(value, field);
    if (value.isNegative() || value.isZero()) {
      throw invalid(field, value, "> 0");
    }
    return value;
  }

  /**
   * {@code value}, if it is not blank.
   *
   * @throws IllegalArgumentException naming {@code field}, if it is null, empty or blank
   */
  public static String nonBlank(String field, @Nullable String value) {
    if (value == null || value.isBlank()) {
      throw invalid(field, value == null ? null : "'" + value + "'", "non-blank");
    }
    return value;
  }

  /**
   * The exception every check throws, for the checks that are not a range: {@code "field: shown
   * (expected: expected)"}.
   */
  public static IllegalArgumentException invalid(
      String field, @Nullable Object shown, String expected) {
    return new IllegalArgumentException(field + ": " + shown + " (expected: " + expected + ")");
  }

  /** A duration bound in its largest whole unit: {@code 0}, {@code 250 ms}, {@code 10 s}. */
  static String show(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    if (d.toNanos() % 1_000_000 != 0) {
      return d.toNanos() + " ns";
    }
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + " h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + " min";
    }
    if (ms % 1_000 == 0) {
      return ms / 1_000 + " s";
    }
    return ms + " ms";
  }

  /** A double bound without a needless ".0": {@code 1}, {@code 0.5}. */
  private static String show(double d) {
    return d == Math.rint(d) && !Double.isInfinite(d)
        ? Long.toString((long) d)
        : Double.toString(d);
  }
}
