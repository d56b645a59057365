package dev.lifeline.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.HeaderGroup;

/**
 * An HTTP answer: the status, every header as received (repeated headers keep all their values, in
 * order) and the body, read fully so that the connection goes back to the pool at once. For {@link
 * LifelineHttpClient#executeStreaming} the body is empty and read by the {@link BodyHandler}.
 *
 * <p>Immutable and thread-safe.
 */
public final class HttpResponse {

  private final int status;
  private final HeaderGroup headers = new HeaderGroup();
  private final byte[] body;

  /**
   * Creates a response. {@code headers} and {@code body} are copied.
   *
   * @throws NullPointerException if an argument is null
   */
  public HttpResponse(int status, Header[] headers, byte[] body) {
    this.status = status;
    this.headers.setHeaders(headers.clone());
    this.body = body.clone();
  }

  /** The status code. */
  public int status() {
    return status;
  }

  /** The first value of header {@code name} (case-insensitive), if present. */
  public Optional<String> header(String name) {
    Header h = headers.getFirstHeader(name);
    return h == null ? Optional.empty() : Optional.ofNullable(h.getValue());
  }

  /** Every value of header {@code name} (case-insensitive), in the order received; may be empty. */
  public List<String> headers(String name) {
    List<String> values = new ArrayList<>();
    for (Header h : headers.getHeaders(name)) {
      values.add(h.getValue());
    }
    return Collections.unmodifiableList(values);
  }

  /** Every header: lower-case name to all its values, in the order received. */
  public Map<String, List<String>> headers() {
    Map<String, List<String>> all = new LinkedHashMap<>();
    for (Header h : headers.getHeaders()) {
      all.computeIfAbsent(h.getName().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(h.getValue());
    }
    all.replaceAll((k, v) -> Collections.unmodifiableList(v));
    return Collections.unmodifiableMap(all);
  }

  /**
   * The media type without parameters, lower-case, e.g. {@code application/json}; empty if none or
   * unparsable.
   */
  public String mediaType() {
    String ct = header("content-type").orElse(null);
    if (ct == null) {
      return "";
    }
    try {
      ContentType parsed = ContentType.parseLenient(ct);
      return parsed == null ? "" : parsed.getMimeType().toLowerCase(Locale.ROOT);
    } catch (RuntimeException unparsable) {
      return "";
    }
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
