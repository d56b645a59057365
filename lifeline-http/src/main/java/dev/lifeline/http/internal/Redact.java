package dev.lifeline.http.internal;

import dev.lifeline.core.spi.Redaction;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Keeps query strings out of logs and messages: API keys and tokens often travel as query
 * parameters ({@code ?api_key=...}). Keys stay readable, values are masked. Stateless and
 * thread-safe.
 */
public final class Redact {

  /** Values shorter than this are not scrubbed from free text: they would mangle ordinary words. */
  private static final int MIN_SCRUBBED_LENGTH = 4;

  private Redact() {}

  /**
   * {@link #requestPath}, except that {@code null} stays {@code null}: for the message about a path
   * that is missing.
   */
  public static @Nullable String path(@Nullable String path) {
    return path == null ? null : requestPath(path);
  }

  /**
   * {@code path} with every query value (and any fragment) replaced by {@link Redaction#MASK}, e.g.
   * {@code /x?api_key=<redacted>&page=<redacted>}.
   */
  public static String requestPath(String path) {
    int hash = path.indexOf('#');
    String withoutFragment = hash < 0 ? path : path.substring(0, hash);
    int q = withoutFragment.indexOf('?');
    if (q < 0) {
      return hash < 0 ? path : withoutFragment + "#" + Redaction.MASK;
    }
    StringBuilder sb = new StringBuilder(withoutFragment.substring(0, q + 1));
    String[] params = withoutFragment.substring(q + 1).split("&", -1);
    for (int i = 0; i < params.length; i++) {
      if (i > 0) {
        sb.append('&');
      }
      String p = params[i];
      int eq = p.indexOf('=');
      // A parameter without '=' may itself be the secret ("?s3cr3t").
      sb.append(
          eq < 0 ? (p.isEmpty() ? "" : Redaction.MASK) : p.substring(0, eq + 1) + Redaction.MASK);
    }
    return hash < 0 ? sb.toString() : sb + "#" + Redaction.MASK;
  }

  /**
   * An exception as text for an attempt or a log line: its class and message, without the values of
   * secret headers (the policy's or the request's own) or of the query of {@code path}.
   */
  public static String exception(
      Throwable e,
      String path,
      Map<String, String> policyHeaders,
      Map<String, String> requestHeaders) {
    @Nullable String msg = e.getMessage();
    String text = e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    return scrub(Redaction.scrub(Redaction.scrub(text, policyHeaders), requestHeaders), path);
  }

  /**
   * {@code text} with the query of {@code path} and each of its values scrubbed, for exception
   * messages that may echo the request URI.
   */
  public static String scrub(String text, String path) {
    int q = path.indexOf('?');
    if (q < 0) {
      return text;
    }
    String query = path.substring(q + 1);
    String masked = requestPath(path);
    String out = text.replace(query, masked.substring(masked.indexOf('?') + 1));
    for (String p : query.split("[&#]")) {
      String value = p.substring(p.indexOf('=') + 1);
      if (value.length() >= MIN_SCRUBBED_LENGTH) {
        out = out.replace(value, Redaction.MASK);
      }
    }
    return out;
  }
}
