package dev.lifeline.http;

import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryBudget;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The immutable settings of a {@link LifelineHttpClient}.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>name</td><td>the base URL's host</td></tr>
 *   <tr><td>environment</td><td>{@code development}</td></tr>
 *   <tr><td>maxConnections / maxConnectionsPerHost</td><td>100 / 30</td></tr>
 *   <tr><td>connectTimeout / responseTimeout / callTimeout</td><td>3 s / 10 s / 30 s</td></tr>
 *   <tr><td>dnsCacheTtl</td><td>5 min</td></tr>
 *   <tr><td>idleEviction / connectionTimeToLive</td><td>30 s / 5 min</td></tr>
 *   <tr><td>healthPath</td><td>{@code /health}</td></tr>
 *   <tr><td>TLS</td><td>verification on, system trust store, no client certificate</td></tr>
 *   <tr><td>retryPolicy</td><td>{@link RetryPolicy#defaults()}</td></tr>
 *   <tr><td>circuitBreakers</td><td>{@link CircuitBreakers#defaults()}</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe.
 */
public final class HttpClientConfig {

  /** The environment name in which insecure TLS is refused and failed health checks throw. */
  public static final String PRODUCTION = "production";

  private final URI baseUrl;
  private final String name;
  private final String environment;
  private final int maxConnections;
  private final int maxConnectionsPerHost;
  private final Duration connectTimeout;
  private final Duration responseTimeout;
  private final Duration callTimeout;
  private final Duration dnsCacheTtl;
  private final Duration idleEviction;
  private final Duration connectionTimeToLive;
  private final String healthPath;
  private final boolean tlsVerification;
  private final KeyStore trustStore;
  private final KeyStore keyStore;
  private final char[] keyPassword;
  private final RetryPolicy retryPolicy;
  private final CircuitBreakers circuitBreakers;
  private final Supplier<RetryBudget> retryBudget;
  private final Map<String, String> headers;
  private final MeterRegistry meterRegistry;
  private final Ticker ticker;
  private final Sleeper sleeper;

  private HttpClientConfig(Builder b) {
    this.baseUrl = b.baseUrl;
    this.name = b.name != null ? b.name : b.baseUrl.getHost();
    this.environment = b.environment;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerHost = b.maxConnectionsPerHost;
    this.connectTimeout = b.connectTimeout;
    this.responseTimeout = b.responseTimeout;
    this.callTimeout = b.callTimeout;
    this.dnsCacheTtl = b.dnsCacheTtl;
    this.idleEviction = b.idleEviction;
    this.connectionTimeToLive = b.connectionTimeToLive;
    this.healthPath = b.healthPath;
    this.tlsVerification = b.tlsVerification;
    this.trustStore = b.trustStore;
    this.keyStore = b.keyStore;
    this.keyPassword = b.keyPassword == null ? null : b.keyPassword.clone();
    this.retryPolicy = b.retryPolicy;
    this.circuitBreakers = b.circuitBreakers;
    this.retryBudget = b.retryBudget;
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
    this.meterRegistry = b.meterRegistry;
    this.ticker = b.ticker;
    this.sleeper = b.sleeper;
  }

  /**
   * A builder for a client of {@code baseUrl}, e.g. {@code https://storage:8443}.
   *
   * @throws IllegalArgumentException if {@code baseUrl} is not an absolute http or https URL with a
   *     host and without query or fragment
   */
  public static Builder builder(String baseUrl) {
    return new Builder(baseUrl);
  }

  /** The base URL, without trailing slash. */
  public URI baseUrl() {
    return baseUrl;
  }

  /** The client's name, used as the service name in logs, metrics and messages. */
  public String name() {
    return name;
  }

  /** The environment, e.g. {@code production}. */
  public String environment() {
    return environment;
  }

  /** Whether {@link #environment()} is {@code production}. */
  public boolean isProduction() {
    return PRODUCTION.equals(environment);
  }

  /** The total connection limit. */
  public int maxConnections() {
    return maxConnections;
  }

  /** The connection limit per host (route). */
  public int maxConnectionsPerHost() {
    return maxConnectionsPerHost;
  }

  /** Time to establish a TCP (and TLS) connection. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** Time to wait for response data once the request is sent. */
  public Duration responseTimeout() {
    return responseTimeout;
  }

  /** Overall time for a logical call, including pool waits, retries and backoff. */
  public Duration callTimeout() {
    return callTimeout;
  }

  /** How long a resolved address is reused; zero disables the cache. */
  public Duration dnsCacheTtl() {
    return dnsCacheTtl;
  }

  /** Idle connections are closed after this long. */
  public Duration idleEviction() {
    return idleEviction;
  }

  /** Connections are not reused after this age. */
  public Duration connectionTimeToLive() {
    return connectionTimeToLive;
  }

  /** The path of the health check. */
  public String healthPath() {
    return healthPath;
  }

  /** Whether server certificates and host names are verified. */
  public boolean tlsVerification() {
    return tlsVerification;
  }

  /** The custom trust store, or {@code null} for the system's. */
  public KeyStore trustStore() {
    return trustStore;
  }

  /** The key store with the client certificate for mTLS, or {@code null}. */
  public KeyStore keyStore() {
    return keyStore;
  }

  /** A copy of the key password, or {@code null}. */
  public char[] keyPassword() {
    return keyPassword == null ? null : keyPassword.clone();
  }

  /** The retry policy for idempotent requests. */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** The circuit breakers (one per target by default). */
  public CircuitBreakers circuitBreakers() {
    return circuitBreakers;
  }

  /** The retry budget factory, or {@code null} for the default budget. */
  public Supplier<RetryBudget> retryBudget() {
    return retryBudget;
  }

  /** Headers sent with every request; secret ones are never logged. */
  public Map<String, String> headers() {
    return headers;
  }

  /** Where metrics go. */
  public MeterRegistry meterRegistry() {
    return meterRegistry;
  }

  /** The time source for deadlines and durations. */
  public Ticker ticker() {
    return ticker;
  }

  /** What waits between attempts. */
  public Sleeper sleeper() {
    return sleeper;
  }

  @Override
  public String toString() {
    return "HttpClientConfig{name="
        + name
        + ", baseUrl="
        + baseUrl
        + ", environment="
        + environment
        + ", maxConnections="
        + maxConnections
        + ", maxConnectionsPerHost="
        + maxConnectionsPerHost
        + ", tlsVerification="
        + tlsVerification
        + "}";
  }

  /** Builds an {@link HttpClientConfig}. Not thread-safe. */
  public static final class Builder {
    private final URI baseUrl;
    private String name;
    private String environment = "development";
    private int maxConnections = 100;
    private int maxConnectionsPerHost = 30;
    private Duration connectTimeout = Duration.ofSeconds(3);
    private Duration responseTimeout = Duration.ofSeconds(10);
    private Duration callTimeout = Duration.ofSeconds(30);
    private Duration dnsCacheTtl = Duration.ofMinutes(5);
    private Duration idleEviction = Duration.ofSeconds(30);
    private Duration connectionTimeToLive = Duration.ofMinutes(5);
    private String healthPath = "/health";
    private boolean tlsVerification = true;
    private boolean forceInsecureTlsInProduction;
    private KeyStore trustStore;
    private KeyStore keyStore;
    private char[] keyPassword;
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private CircuitBreakers circuitBreakers = CircuitBreakers.defaults();
    private Supplier<RetryBudget> retryBudget;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private MeterRegistry meterRegistry = Metrics.globalRegistry;
    private Ticker ticker = Ticker.system();
    private Sleeper sleeper = Sleeper.system();

    private Builder(String baseUrl) {
      this.baseUrl = parseBaseUrl(baseUrl);
    }

    private static URI parseBaseUrl(String baseUrl) {
      if (baseUrl == null || baseUrl.isBlank()) {
        throw new IllegalArgumentException(
            "baseUrl: '" + baseUrl + "' (expected: an http or https URL such as http://host:8080)");
      }
      URI uri;
      try {
        uri = new URI(baseUrl.trim());
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(
            "baseUrl: '"
                + baseUrl
                + "' (expected: a valid http or https URL; "
                + e.getReason()
                + ")",
            e);
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException(
            "baseUrl: '" + baseUrl + "' (expected: scheme http or https)");
      }
      if (uri.getHost() == null || uri.getHost().isEmpty()) {
        throw new IllegalArgumentException("baseUrl: '" + baseUrl + "' (expected: a host)");
      }
      if (uri.getRawQuery() != null
          || uri.getRawFragment() != null
          || uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException(
            "baseUrl: '" + baseUrl + "' (expected: no query, fragment or user info)");
      }
      String s = uri.toString();
      while (s.endsWith("/")) {
        s = s.substring(0, s.length() - 1);
      }
      return URI.create(s);
    }

    /**
     * The client's name for logs, metrics and messages, e.g. {@code storage}. Default: the host.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder name(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("name: '" + name + "' (expected: non-blank)");
      }
      this.name = name;
      return this;
    }

    /**
     * The environment, e.g. {@code production} or {@code development}. Default {@code development}.
     * In {@code production} insecure TLS is refused and a failed health check throws.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder environment(String environment) {
      if (environment == null || environment.isBlank()) {
        throw new IllegalArgumentException(
            "environment: '" + environment + "' (expected: non-blank)");
      }
      this.environment = environment.trim().toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * The total connection limit. Default 100.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConnections(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConnections: " + max + " (expected: >= 1)");
      }
      this.maxConnections = max;
      return this;
    }

    /**
     * The connection limit per host. Default 30. Must not exceed {@link #maxConnections(int)}
     * (checked by {@link #build()}).
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConnectionsPerHost(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConnectionsPerHost: " + max + " (expected: >= 1)");
      }
      this.maxConnectionsPerHost = max;
      return this;
    }

    /**
     * Time to establish a connection. Default 3 s.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /**
     * Time to wait for response data. Default 10 s.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder responseTimeout(Duration timeout) {
      this.responseTimeout = positive("responseTimeout", timeout);
      return this;
    }

    /**
     * Overall time for a logical call including retries. Default 30 s.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = positive("callTimeout", timeout);
      return this;
    }

    /**
     * How long resolved addresses are reused. Default 5 min (as the original's {@code
     * ttl_dns_cache=300}); zero turns the cache off.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder dnsCacheTtl(Duration ttl) {
      Objects.requireNonNull(ttl, "dnsCacheTtl");
      if (ttl.isNegative()) {
        throw new IllegalArgumentException("dnsCacheTtl: " + ttl + " (expected: >= 0)");
      }
      this.dnsCacheTtl = ttl;
      return this;
    }

    /**
     * Idle connections are closed after this long. Default 30 s.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder idleEviction(Duration idle) {
      this.idleEviction = positive("idleEviction", idle);
      return this;
    }

    /**
     * Connections are not reused past this age, so DNS changes are picked up. Default 5 min.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder connectionTimeToLive(Duration ttl) {
      this.connectionTimeToLive = positive("connectionTimeToLive", ttl);
      return this;
    }

    /**
     * The health check's path. Default {@code /health}.
     *
     * @throws IllegalArgumentException if it does not start with {@code /}
     */
    public Builder healthPath(String path) {
      if (path == null || !path.startsWith("/")) {
        throw new IllegalArgumentException(
            "healthPath: '" + path + "' (expected: starts with '/')");
      }
      this.healthPath = path;
      return this;
    }

    /**
     * Trusts the certificates in {@code trustStore} instead of the system's.
     *
     * @throws NullPointerException if {@code trustStore} is null
     */
    public Builder trustStore(KeyStore trustStore) {
      this.trustStore = Objects.requireNonNull(trustStore, "trustStore");
      return this;
    }

    /**
     * Presents the client certificate in {@code keyStore} (mTLS).
     *
     * @throws NullPointerException if an argument is null
     */
    public Builder clientCertificate(KeyStore keyStore, char[] keyPassword) {
      this.keyStore = Objects.requireNonNull(keyStore, "keyStore");
      this.keyPassword = Objects.requireNonNull(keyPassword, "keyPassword").clone();
      return this;
    }

    /**
     * Turns off verification of server certificates and host names. The client logs a WARN naming
     * itself when built. Refused in {@code production} unless {@link
     * #forceInsecureTlsInProductionIUnderstandTheRisk()} is also called.
     */
    public Builder disableTlsVerification() {
      this.tlsVerification = false;
      return this;
    }

    /**
     * Allows {@link #disableTlsVerification()} in {@code production}. Exists so that nobody does
     * this by accident; the client logs an ERROR-level note naming itself when built.
     */
    public Builder forceInsecureTlsInProductionIUnderstandTheRisk() {
      this.forceInsecureTlsInProduction = true;
      return this;
    }

    /** The retry policy for idempotent requests. Default {@link RetryPolicy#defaults()}. */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "retryPolicy");
      return this;
    }

    /** The circuit breakers. Default {@link CircuitBreakers#defaults()}. */
    public Builder circuitBreakers(CircuitBreakers breakers) {
      this.circuitBreakers = Objects.requireNonNull(breakers, "circuitBreakers");
      return this;
    }

    /** Creates the target's retry budget. Default: {@link RetryBudget#builder()} defaults. */
    public Builder retryBudget(Supplier<RetryBudget> budget) {
      this.retryBudget = Objects.requireNonNull(budget, "retryBudget");
      return this;
    }

    /**
     * A header sent with every request, e.g. {@code authorization}. Secret headers are sent but
     * never logged or put in exception text.
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

    /** Where metrics go. Default {@link Metrics#globalRegistry}. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /** The time source. Default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** What waits between attempts. Default {@link Sleeper#system()}. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /**
     * Returns the configuration.
     *
     * @throws IllegalArgumentException if {@code maxConnectionsPerHost} exceeds {@code
     *     maxConnections}
     * @throws IllegalStateException if TLS verification is off in {@code production} without the
     *     force switch
     */
    public HttpClientConfig build() {
      if (maxConnectionsPerHost > maxConnections) {
        throw new IllegalArgumentException(
            "maxConnectionsPerHost: "
                + maxConnectionsPerHost
                + " (expected: <= maxConnections "
                + maxConnections
                + ")");
      }
      if (!tlsVerification && PRODUCTION.equals(environment) && !forceInsecureTlsInProduction) {
        throw new IllegalStateException(
            "TLS verification is disabled for client '"
                + (name != null ? name : baseUrl.getHost())
                + "' in production: refused (call forceInsecureTlsInProductionIUnderstandTheRisk()"
                + " to override)");
      }
      return new HttpClientConfig(this);
    }

    /** Shortcut for {@code LifelineHttpClient.create(build())}. */
    public LifelineHttpClient buildClient() {
      return LifelineHttpClient.create(build());
    }

    private static Duration positive(String field, Duration d) {
      Objects.requireNonNull(d, field);
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(field + ": " + d + " (expected: > 0)");
      }
      return d;
    }
  }
}
