package dev.lifeline.http;

import dev.lifeline.core.internal.Check;
import dev.lifeline.http.internal.Redact;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.hc.core5.http.ContentType;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP request relative to the client's base URL. Build with {@link #get(String)}, {@link
 * #put(String, byte[], String)} or {@link #builder(String, String)}.
 *
 * <p>Whether a failed request may be retried depends on whether it is idempotent: GET, HEAD, PUT,
 * DELETE and OPTIONS are (RFC 9110 9.2.2); POST and PATCH are not unless the request {@linkplain
 * Builder#idempotent(boolean) declares it}, e.g. because it carries an idempotency key. A request
 * that is not idempotent is retried only when it provably was not sent.
 *
 * <p>Its {@link #toString()} and every log line and exception message show the path with the values
 * of its query redacted.
 *
 * <p>Immutable and thread-safe.
 */
public final class HttpRequest {

  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS");
  private static final Set<String> NON_IDEMPOTENT = Set.of("POST", "PATCH");

  /** type "/" subtype, each an RFC 9110 token. */
  private static final Pattern MEDIA_TYPE =
      Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  /** Headers that frame the message: the client sets them from the body. */
  private static final Set<String> FRAMING_HEADERS = Set.of("content-length", "transfer-encoding");

  private final String method;
  private final String path;
  private final String route;
  private final byte @Nullable [] body;
  private final @Nullable String contentType;
  private final Map<String, String> headers;
  private final Set<Integer> acceptedStatuses;
  private final @Nullable Duration timeout;
  private final long maxResponseBytes;
  private final boolean idempotent;

  private HttpRequest(Builder b) {
    this.method = b.method;
    this.path = b.path;
    this.route = b.route != null ? b.route : b.method;
    this.body = b.body;
    this.contentType = b.contentType;
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
    this.acceptedStatuses = Collections.unmodifiableSet(new TreeSet<>(b.acceptedStatuses));
    this.timeout = b.timeout;
    this.maxResponseBytes = b.maxResponseBytes;
    this.idempotent = b.idempotent != null ? b.idempotent : IDEMPOTENT.contains(b.method);
  }

  /** A GET of {@code path}. */
  public static HttpRequest get(String path) {
    return builder("GET", path).build();
  }

  /** A PUT of {@code body} with {@code contentType} to {@code path}. */
  public static HttpRequest put(String path, byte[] body, String contentType) {
    return builder("PUT", path).body(body, contentType).build();
  }

  /**
   * A builder.
   *
   * @throws IllegalArgumentException if {@code method} is not a supported method or {@code path}
   *     does not start with {@code /} or is not a valid URI path and query
   */
  public static Builder builder(String method, String path) {
    return new Builder(method, path);
  }

  /**
   * Whether this request may be repeated without changing the outcome: its method's RFC 9110
   * semantics unless the request {@linkplain Builder#idempotent(boolean) declared} otherwise.
   */
  public boolean idempotent() {
    return idempotent;
  }

  /** The method, e.g. {@code GET}. */
  public String method() {
    return method;
  }

  /**
   * The path and query relative to the base URL, as sent. Never log it: see {@link #toString()}.
   */
  public String path() {
    return path;
  }

  /**
   * The route: the key of this request's retry policy in the client's {@link
   * dev.lifeline.core.CallPolicy} and its method name in reports and call metrics. Default: the
   * HTTP method, e.g. {@code GET}.
   */
  public String route() {
    return route;
  }

  /** A copy of the body; empty if none. */
  public byte[] body() {
    return body == null ? new byte[0] : body.clone();
  }

  /** The body as a stream over this request's own bytes, without copying them; empty if none. */
  public ByteArrayInputStream bodyStream() {
    return new ByteArrayInputStream(body == null ? new byte[0] : body);
  }

  /** Whether the request has a body. */
  public boolean hasBody() {
    return body != null;
  }

  /** The body's content type; empty without body. */
  public Optional<String> contentType() {
    return Optional.ofNullable(contentType);
  }

  /** Extra headers, names lower-case, in insertion order. Secret ones are sent but never logged. */
  public Map<String, String> headers() {
    return headers;
  }

  /**
   * Error statuses returned as a normal {@link HttpResponse} instead of an exception, e.g. 404 for
   * a lookup whose absence is an answer. They still count as a healthy server.
   */
  public Set<Integer> acceptedStatuses() {
    return acceptedStatuses;
  }

  /** This request's overall time limit; empty to use the client's call timeout. */
  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /**
   * This request's maximum response size in bytes, or -1 to use the client's {@link
   * HttpClientConfig#maxResponseBytes()} (for {@link LifelineHttpClient#execute}) or no limit (for
   * {@link LifelineHttpClient#executeStreaming}).
   */
  public long maxResponseBytes() {
    return maxResponseBytes;
  }

  /** The method and the path with its query values redacted, e.g. {@code GET /x?key=<redacted>}. */
  @Override
  public String toString() {
    return method + " " + Redact.requestPath(path);
  }

  /** Builds an {@link HttpRequest}. Not thread-safe. */
  public static final class Builder {
    private final String method;
    private final String path;
    private @Nullable String route;
    private byte @Nullable [] body;
    private @Nullable String contentType;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Set<Integer> acceptedStatuses = new TreeSet<>();
    private @Nullable Duration timeout;
    private long maxResponseBytes = -1;
    private @Nullable Boolean idempotent;

    private Builder(String method, String path) {
      if (method == null || !(IDEMPOTENT.contains(method) || NON_IDEMPOTENT.contains(method))) {
        throw Check.invalid(
            "method", "'" + method + "'", "one of GET, HEAD, PUT, DELETE, OPTIONS, POST, PATCH");
      }
      if (path == null || !path.startsWith("/")) {
        throw invalidPath(path, "starts with '/'");
      }
      try {
        new URI("http://h" + path);
      } catch (URISyntaxException e) {
        // The cause's text would repeat the path with its query, so it is left out.
        throw invalidPath(path, "a valid, percent-encoded URI path and query; " + e.getReason());
      }
      this.method = method;
      this.path = path;
    }

    /** A bad path, shown with its query values redacted. */
    private static IllegalArgumentException invalidPath(@Nullable String path, String expected) {
      return Check.invalid("path", "'" + Redact.path(path) + "'", expected);
    }

    /**
     * The route, e.g. {@code GET /api/v1/watermarks/{id}}: the key under which the client's {@link
     * dev.lifeline.core.CallPolicy} may hold a retry policy for it, and its method name in reports
     * and call metrics, so keep it free of ids. Default: the HTTP method.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder route(String route) {
      this.route = Check.nonBlank("route", route);
      return this;
    }

    /**
     * The body and its content type, e.g. {@code application/json; charset=utf-8}.
     *
     * @throws IllegalArgumentException if {@code contentType} is not a valid media type
     */
    public Builder body(byte[] body, String contentType) {
      Objects.requireNonNull(body, "body");
      Objects.requireNonNull(contentType, "contentType");
      @Nullable ContentType parsed;
      try {
        // HttpCore returns null for a blank value.
        parsed = ContentType.parse(contentType);
      } catch (RuntimeException e) {
        parsed = null;
      }
      if (parsed == null || !MEDIA_TYPE.matcher(parsed.getMimeType()).matches()) {
        throw Check.invalid(
            "contentType", "'" + contentType + "'", "a media type such as application/json");
      }
      this.body = body.clone();
      this.contentType = contentType;
      return this;
    }

    /** A UTF-8 text body and its content type. */
    public Builder body(String body, String contentType) {
      return body(
          Objects.requireNonNull(body, "body").getBytes(StandardCharsets.UTF_8), contentType);
    }

    /**
     * Sets a header; its name is lower-cased.
     *
     * @throws IllegalArgumentException if the name is blank or frames the message ({@code
     *     content-length}, {@code transfer-encoding}), which the client sets from the body
     */
    public Builder header(String name, String value) {
      String n = Check.nonBlank("header name", name).toLowerCase(Locale.ROOT);
      if (FRAMING_HEADERS.contains(n)) {
        throw Check.invalid(
            "header name",
            "'" + n + "'",
            "not content-length or transfer-encoding; the client frames the body itself");
      }
      headers.put(n, Objects.requireNonNull(value, n));
      return this;
    }

    /**
     * Error statuses to return as responses rather than exceptions.
     *
     * @throws IllegalArgumentException if a status is not within {@code [400, 499]}
     */
    public Builder acceptStatus(int... statuses) {
      for (int s : statuses) {
        acceptedStatuses.add(Check.inRange("acceptStatus", s, 400, 499));
      }
      return this;
    }

    /**
     * This request's overall time limit, including retries. Default, or {@code null}: the client's
     * call timeout.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder timeout(@Nullable Duration timeout) {
      this.timeout = timeout == null ? null : Check.positive("timeout", timeout);
      return this;
    }

    /**
     * This request's maximum response size. Default: the client's {@link
     * HttpClientConfig#maxResponseBytes()} for {@code execute}, none for {@code executeStreaming}.
     *
     * @throws IllegalArgumentException if below 0
     */
    public Builder maxResponseBytes(long max) {
      this.maxResponseBytes = Check.atLeast("maxResponseBytes", max, 0L);
      return this;
    }

    /**
     * Declares whether the request may safely be repeated, overriding its method's semantics, e.g.
     * {@code true} for a POST carrying an idempotency key the server honours. A retry policy with
     * {@code idempotent(false)} still wins.
     */
    public Builder idempotent(boolean idempotent) {
      this.idempotent = idempotent;
      return this;
    }

    /** Returns the request. */
    public HttpRequest build() {
      return new HttpRequest(this);
    }
  }
}
