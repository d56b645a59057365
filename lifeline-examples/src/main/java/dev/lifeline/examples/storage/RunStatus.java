package dev.lifeline.examples.storage;

import dev.lifeline.core.internal.Check;
import java.util.Locale;

/** The outcome of a collection run, as stored with its watermark. Immutable and thread-safe. */
public enum RunStatus {
  /** The run collected everything; the watermark advances. */
  SUCCESS,
  /** The run failed; only the last-run time changes. */
  FAILED;

  /** The wire value, e.g. {@code success}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a wire value.
   *
   * @throws IllegalArgumentException if unknown
   */
  public static RunStatus fromWire(String value) {
    for (RunStatus s : values()) {
      if (s.wire().equals(value)) {
        return s;
      }
    }
    throw Check.invalid("status", "'" + value + "'", "success or failed");
  }
}
