package dev.lifeline.http;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A complete HTTP answer: status, headers (names lower-case, first value kept) and the body, read
 * fully so that the connection goes back to the pool at once.
 *
 * <p>Immutable and thread-safe.
 */
public final class HttpResponse {

  private final int status;
  private final Map<String, String> headers;
  private final byte[] body;

  /** Creates a response; {@code headers} names are lower-cased. */
  public HttpResponse(int status, Map<String, String> headers, byte[] body) {
    this.status = status;
    Map<String, String> h = new LinkedHashMap<>();
    headers.forEach((k, v) -> h.putIfAbsent(k.toLowerCase(Locale.ROOT), v));
    this.headers = Collections.unmodifiableMap(h);
    this.body = body.clone();
  }

  /** The status code. */
  public int status() {
    return status;
  }

  /** The headers, names lower-case. */
  public Map<String, String> headers() {
    return headers;
  }

  /** The header's value, if present; {@code name} is case-insensitive. */
  public Optional<String> header(String name) {
    return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
  }

  /**
   * The media type without parameters, lower-case, e.g. {@code application/json}; empty if none.
   */
  public String mediaType() {
    String ct = headers.getOrDefault("content-type", "");
    int semi = ct.indexOf(';');
    return (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
  }

  /** A copy of the body. */
  public byte[] body() {
    return body.clone();
  }

  /** The body decoded as UTF-8. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "HttpResponse{status=" + status + ", " + body.length + " bytes}";
  }
}
