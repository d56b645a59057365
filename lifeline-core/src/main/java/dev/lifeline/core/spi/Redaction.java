package dev.lifeline.core.spi;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Keeps secrets out of logs and exception text: which header names carry secrets, and how to print
 * headers and free text without them.
 *
 * <p>Stateless and thread-safe.
 */
public final class Redaction {

  /** What a secret value is replaced with. */
  public static final String MASK = "<redacted>";

  private static final Set<String> SECRET_HEADERS =
      Set.of(
          "authorization",
          "proxy-authorization",
          "dapr-api-token",
          "cookie",
          "set-cookie",
          "x-api-key",
          "api-key");

  private Redaction() {}

  /**
   * Whether a header of this name carries a secret: the well-known ones (authorization,
   * dapr-api-token, cookies, API keys) and any name containing "token", "secret" or "password".
   */
  public static boolean isSecretHeader(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return SECRET_HEADERS.contains(n)
        || n.contains("token")
        || n.contains("secret")
        || n.contains("password");
  }

  /** A copy of {@code headers} whose secret values are replaced by {@link #MASK}. */
  public static Map<String, String> redactHeaders(Map<String, String> headers) {
    Map<String, String> out = new LinkedHashMap<>();
    headers.forEach((k, v) -> out.put(k, isSecretHeader(k) ? MASK : v));
    return out;
  }

  /**
   * Replaces every occurrence of a secret header's value from {@code headers} in {@code text}, e.g.
   * a server that echoed a token back in an error message.
   */
  public static String scrub(String text, Map<String, String> headers) {
    String out = text;
    for (Map.Entry<String, String> e : headers.entrySet()) {
      String v = e.getValue();
      if (isSecretHeader(e.getKey()) && v != null && v.length() >= 4) {
        out = out.replace(v, MASK);
        // "Bearer <token>": a server may echo the credential without its scheme.
        int space = v.lastIndexOf(' ');
        if (space >= 0 && v.length() - space - 1 >= 4) {
          out = out.replace(v.substring(space + 1), MASK);
        }
      }
    }
    return out;
  }
}
