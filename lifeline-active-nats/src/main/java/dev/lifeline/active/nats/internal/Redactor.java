package dev.lifeline.active.nats.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Removes credentials from text before it reaches a log or an exception message: the user-info part
 * of every URL ({@code nats://user:password@host} becomes {@code nats://***@host}) and every secret
 * the store was given (passwords, tokens). Immutable and thread-safe.
 */
public final class Redactor {

  /** {@code scheme://user-info@}, user info being anything up to '@' without '/', space or '@'. */
  private static final Pattern USER_INFO =
      Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^/@\\s\\[\\]\"']+@");

  private final List<String> secrets;

  private Redactor(List<String> secrets) {
    this.secrets = secrets;
  }

  /** A redactor for {@code secrets}; null and empty entries are ignored. */
  public static Redactor of(Collection<? extends @Nullable String> secrets) {
    List<String> s = new ArrayList<>();
    for (String x : secrets) {
      if (x != null && !x.isEmpty()) {
        s.add(x);
      }
    }
    // Longest first, so that a secret containing another one is removed whole.
    s.sort(Comparator.comparingInt(String::length).reversed());
    return new Redactor(List.copyOf(s));
  }

  /**
   * {@code text} without user info in URLs and without any known secret. For a message that may be
   * null, pass {@code String.valueOf(message)}.
   */
  public String redact(String text) {
    String out = USER_INFO.matcher(text).replaceAll("$1***@");
    for (String secret : secrets) {
      out = out.replace(secret, "***");
    }
    return out;
  }

  /**
   * A copy of {@code t} and its causes whose messages are redacted, keeping each original's class
   * name (in the message) and stack trace, so that logging it cannot leak what the original's
   * message held.
   */
  public RuntimeException sanitize(Throwable t) {
    return new Sanitized(t, this);
  }

  /** A stand-in for a foreign exception whose message may hold credentials. */
  private static final class Sanitized extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Sanitized(Throwable original, Redactor r) {
      super(
          original.getClass().getName() + ": " + r.redact(String.valueOf(original.getMessage())),
          original.getCause() == null || original.getCause() == original
              ? null
              : new Sanitized(original.getCause(), r),
          false,
          true);
      setStackTrace(original.getStackTrace());
    }

    // The message already starts with the original's class name; Throwable's toString would put
    // this stand-in's name in front of it.
    @Override
    @SuppressWarnings("OverrideThrowableToString")
    public String toString() {
      return String.valueOf(getMessage());
    }
  }
}
