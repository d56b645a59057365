package dev.lifeline.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * One HTTP request relative to the client's base URL. Build with {@link #get(String)}, {@link
 * #put(String, byte[], String)} or {@link #builder(String, String)}.
 *
 * <p>Whether a failed request may be retried depends on its method: GET, HEAD, PUT, DELETE and
 * OPTIONS are idempotent; any other method is retried only when the request provably was not sent
 * (the connection was refused).
 *
 * <p>Immutable and thread-safe.
 */
public final class HttpRequest {

  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS");

  /** The methods this client sends that are not idempotent. */
  public static final Set<String> NON_IDEMPOTENT_METHODS = Set.of("POST", "PATCH");

  private final String method;
  private final String path;
  private final byte[] body;
  private final String contentType;
  private final Map<String, String> headers;
  private final Set<Integer> acceptedStatuses;
  private final Duration timeout;

  private HttpRequest(Builder b) {
    this.method = b.method;
    this.path = b.path;
    this.body = b.body;
    this.contentType = b.contentType;
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
    this.acceptedStatuses = Collections.unmodifiableSet(new TreeSet<>(b.acceptedStatuses));
    this.timeout = b.timeout;
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
   *     does not start with {@code /}
   */
  public static Builder builder(String method, String path) {
    return new Builder(method, path);
  }

  /** Whether this request may be repeated without changing the outcome (RFC 9110 9.2.2). */
  public boolean idempotent() {
    return IDEMPOTENT.contains(method);
  }

  /** The method, e.g. {@code GET}. */
  public String method() {
    return method;
  }

  /** The path (and query) relative to the base URL. */
  public String path() {
    return path;
  }

  /** A copy of the body; empty if none. */
  public byte[] body() {
    return body == null ? new byte[0] : body.clone();
  }

  /** Whether the request has a body. */
  public boolean hasBody() {
    return body != null;
  }

  /** The body's content type, or {@code null} without body. */
  public String contentType() {
    return contentType;
  }

  /** Extra headers, in insertion order. Secret ones are sent but never logged. */
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

  /** This request's overall time limit, or {@code null} to use the client's call timeout. */
  public Duration timeout() {
    return timeout;
  }

  @Override
  public String toString() {
    return method + " " + path;
  }

  /** Builds an {@link HttpRequest}. Not thread-safe. */
  public static final class Builder {
    private final String method;
    private final String path;
    private byte[] body;
    private String contentType;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Set<Integer> acceptedStatuses = new TreeSet<>();
    private Duration timeout;

    private Builder(String method, String path) {
      if (method == null
          || !(IDEMPOTENT.contains(method) || NON_IDEMPOTENT_METHODS.contains(method))) {
        throw new IllegalArgumentException(
            "method: '"
                + method
                + "' (expected: one of GET, HEAD, PUT, DELETE, OPTIONS, POST, PATCH)");
      }
      if (path == null || !path.startsWith("/")) {
        throw new IllegalArgumentException("path: '" + path + "' (expected: starts with '/')");
      }
      try {
        new URI("http://h" + path);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(
            "path: '" + path + "' (expected: a valid, percent-encoded URI path and query)", e);
      }
      this.method = method;
      this.path = path;
    }

    /** The body and its content type. */
    public Builder body(byte[] body, String contentType) {
      this.body = Objects.requireNonNull(body, "body").clone();
      this.contentType = Objects.requireNonNull(contentType, "contentType");
      return this;
    }

    /** A UTF-8 text body and its content type. */
    public Builder body(String body, String contentType) {
      return body(
          Objects.requireNonNull(body, "body").getBytes(StandardCharsets.UTF_8), contentType);
    }

    /**
     * Adds a header.
     *
     * @throws IllegalArgumentException if the name is blank
     */
    public Builder header(String name, String value) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("header name: '" + name + "' (expected: non-blank)");
      }
      headers.put(name.toLowerCase(Locale.ROOT), Objects.requireNonNull(value, name));
      return this;
    }

    /**
     * Error statuses to return as responses rather than exceptions.
     *
     * @throws IllegalArgumentException if a status is not within {@code [400, 499]}
     */
    public Builder acceptStatus(int... statuses) {
      for (int s : statuses) {
        if (s < 400 || s > 499) {
          throw new IllegalArgumentException(
              "acceptStatus: " + s + " (expected: >= 400 and <= 499)");
        }
        acceptedStatuses.add(s);
      }
      return this;
    }

    /**
     * This request's overall time limit, including retries. Default: the client's call timeout.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder timeout(Duration timeout) {
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
      }
      this.timeout = timeout;
      return this;
    }

    /** Returns the request. */
    public HttpRequest build() {
      return new HttpRequest(this);
    }
  }
}
