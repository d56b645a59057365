package dev.lifeline.http.internal;

import dev.lifeline.core.spi.Redaction;

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
   * {@code path} with every query value (and any fragment) replaced by {@link Redaction#MASK}, e.g.
   * {@code /x?api_key=<redacted>&page=<redacted>}; {@code null} stays {@code null}.
   */
  public static String path(String path) {
    if (path == null) {
      return null;
    }
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
   * {@code text} with the query of {@code path} and each of its values scrubbed, for exception
   * messages that may echo the request URI.
   */
  public static String scrub(String text, String path) {
    if (text == null || path == null) {
      return text;
    }
    int q = path.indexOf('?');
    if (q < 0) {
      return text;
    }
    String query = path.substring(q + 1);
    String masked = path(path);
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
