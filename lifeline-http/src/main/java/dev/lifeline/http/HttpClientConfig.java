package dev.lifeline.http;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.internal.Check;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The immutable settings of a {@link LifelineHttpClient}. What decides how calls are attempted (the
 * client's name, retry policy with per-route overrides, retry budget, circuit breakers, headers
 * sent with every request, metrics and time) is core's {@link CallPolicy}, set with {@link
 * Builder#callPolicy}; this class holds only what is HTTP's own.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>callPolicy</td><td>{@link CallPolicy} defaults, service named after the base URL's
 *       host</td></tr>
 *   <tr><td>environment</td><td>{@link Environment#DEVELOPMENT}</td></tr>
 *   <tr><td>failedHealthCheckThrows</td><td>{@code true} in {@link Environment#PRODUCTION}, else
 *       {@code false}</td></tr>
 *   <tr><td>maxConnections / maxConnectionsPerHost</td><td>100 / 30</td></tr>
 *   <tr><td>connectTimeout / responseTimeout / callTimeout</td><td>3 s / 10 s / 30 s</td></tr>
 *   <tr><td>maxResponseBytes</td><td>16 MiB</td></tr>
 *   <tr><td>dnsCacheTtl</td><td>5 min</td></tr>
 *   <tr><td>idleEviction / connectionTimeToLive</td><td>30 s / 5 min</td></tr>
 *   <tr><td>healthPath</td><td>{@code /health}</td></tr>
 *   <tr><td>TLS</td><td>verification on, system trust store, no client certificate</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe.
 */
public final class HttpClientConfig {

  /** The default maximum size of a buffered response body: 16 MiB. */
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 16L << 20;

  private final URI baseUrl;
  private final CallPolicy callPolicy;
  private final Environment environment;
  private final boolean failedHealthCheckThrows;
  private final int maxConnections;
  private final int maxConnectionsPerHost;
  private final Duration connectTimeout;
  private final Duration responseTimeout;
  private final Duration callTimeout;
  private final long maxResponseBytes;
  private final Duration dnsCacheTtl;
  private final Duration idleEviction;
  private final Duration connectionTimeToLive;
  private final String healthPath;
  private final boolean tlsVerification;
  private final @Nullable KeyStore trustStore;
  private final @Nullable KeyStore keyStore;
  private final char @Nullable [] keyPassword;
  private final Sleeper sleeper;

  private HttpClientConfig(Builder b) {
    this.baseUrl = b.baseUrl;
    this.callPolicy =
        b.callPolicy != null
            ? b.callPolicy
            : CallPolicy.builder().service(b.baseUrl.getHost()).build();
    this.environment = b.environment;
    this.failedHealthCheckThrows =
        b.failedHealthCheckThrows != null
            ? b.failedHealthCheckThrows
            : b.environment == Environment.PRODUCTION;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerHost = b.maxConnectionsPerHost;
    this.connectTimeout = b.connectTimeout;
    this.responseTimeout = b.responseTimeout;
    this.callTimeout = b.callTimeout;
    this.maxResponseBytes = b.maxResponseBytes;
    this.dnsCacheTtl = b.dnsCacheTtl;
    this.idleEviction = b.idleEviction;
    this.connectionTimeToLive = b.connectionTimeToLive;
    this.healthPath = b.healthPath;
    this.tlsVerification = b.tlsVerification;
    this.trustStore = b.trustStore;
    this.keyStore = b.keyStore;
    this.keyPassword = b.keyPassword == null ? null : b.keyPassword.clone();
    this.sleeper = b.sleeper;
  }

  /**
   * A builder for a client of {@code baseUrl}, e.g. {@code https://storage:8443}.
   *
   * @throws IllegalArgumentException if {@code baseUrl} is not an absolute http or https URL with a
   *     host and without query, fragment or user info
   */
  public static Builder builder(String baseUrl) {
    return new Builder(baseUrl);
  }

  /** The base URL, without trailing slash. */
  public URI baseUrl() {
    return baseUrl;
  }

  /**
   * How calls are attempted: retry policy and per-route overrides, retry budget, circuit breakers,
   * headers, metrics and time.
   */
  public CallPolicy callPolicy() {
    return callPolicy;
  }

  /** The client's name in logs, metrics and messages: the call policy's service. */
  public String name() {
    return callPolicy.service();
  }

  /** Where the client runs. */
  public Environment environment() {
    return environment;
  }

  /** Whether {@link LifelineHttpClient#healthCheck()} throws rather than returns {@code false}. */
  public boolean failedHealthCheckThrows() {
    return failedHealthCheckThrows;
  }

  /** The total connection limit. */
  public int maxConnections() {
    return maxConnections;
  }

  /** The connection limit per host (route). */
  public int maxConnectionsPerHost() {
    return maxConnectionsPerHost;
  }

  /**
   * The longest an attempt may take to connect, TLS handshake included (and no longer than the time
   * left in the call).
   */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** The longest the client waits for the next bytes of the response once the request is sent. */
  public Duration responseTimeout() {
    return responseTimeout;
  }

  /**
   * Overall time for a logical call: pool waits, every phase of every attempt, and the waits
   * between them.
   */
  public Duration callTimeout() {
    return callTimeout;
  }

  /** The largest body {@link LifelineHttpClient#execute} reads; a larger one fails the call. */
  public long maxResponseBytes() {
    return maxResponseBytes;
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

  /** The custom trust store; empty for the system's. */
  public Optional<KeyStore> trustStore() {
    return Optional.ofNullable(trustStore);
  }

  /** The key store with the client certificate for mTLS; empty without one. */
  public Optional<KeyStore> keyStore() {
    return Optional.ofNullable(keyStore);
  }

  /** A copy of the key password; empty without a client certificate. */
  public Optional<char[]> keyPassword() {
    return keyPassword == null ? Optional.empty() : Optional.of(keyPassword.clone());
  }

  /** What waits between attempts. */
  public Sleeper sleeper() {
    return sleeper;
  }

  @Override
  public String toString() {
    return "HttpClientConfig{name="
        + name()
        + ", baseUrl="
        + baseUrl
        + ", environment="
        + environment.value()
        + ", maxConnections="
        + maxConnections
        + ", maxConnectionsPerHost="
        + maxConnectionsPerHost
        + ", maxResponseBytes="
        + maxResponseBytes
        + ", tlsVerification="
        + tlsVerification
        + "}";
  }

  /** Builds an {@link HttpClientConfig}. Not thread-safe. */
  public static final class Builder {
    private final URI baseUrl;
    private @Nullable CallPolicy callPolicy;
    private Environment environment = Environment.DEVELOPMENT;
    private @Nullable Boolean failedHealthCheckThrows;
    private int maxConnections = 100;
    private int maxConnectionsPerHost = 30;
    private Duration connectTimeout = Duration.ofSeconds(3);
    private Duration responseTimeout = Duration.ofSeconds(10);
    private Duration callTimeout = Duration.ofSeconds(30);
    private long maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
    private Duration dnsCacheTtl = Duration.ofMinutes(5);
    private Duration idleEviction = Duration.ofSeconds(30);
    private Duration connectionTimeToLive = Duration.ofMinutes(5);
    private String healthPath = "/health";
    private boolean tlsVerification = true;
    private boolean forceInsecureTlsInProduction;
    private @Nullable KeyStore trustStore;
    private @Nullable KeyStore keyStore;
    private char @Nullable [] keyPassword;
    private Sleeper sleeper = Sleeper.system();

    private Builder(String baseUrl) {
      this.baseUrl = parseBaseUrl(baseUrl);
    }

    private static URI parseBaseUrl(@Nullable String baseUrl) {
      String shown = "'" + baseUrl + "'";
      if (baseUrl == null || baseUrl.isBlank()) {
        throw Check.invalid("baseUrl", shown, "an http or https URL such as http://host:8080");
      }
      URI uri;
      try {
        uri = new URI(baseUrl.trim());
      } catch (URISyntaxException e) {
        IllegalArgumentException invalid =
            Check.invalid("baseUrl", shown, "a valid http or https URL; " + e.getReason());
        invalid.initCause(e);
        throw invalid;
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw Check.invalid("baseUrl", shown, "scheme http or https");
      }
      if (uri.getHost() == null || uri.getHost().isEmpty()) {
        throw Check.invalid("baseUrl", shown, "a host");
      }
      if (uri.getRawQuery() != null
          || uri.getRawFragment() != null
          || uri.getRawUserInfo() != null) {
        throw Check.invalid("baseUrl", shown, "no query, fragment or user info");
      }
      String s = uri.toString();
      while (s.endsWith("/")) {
        s = s.substring(0, s.length() - 1);
      }
      return URI.create(s);
    }

    /**
     * How calls are attempted: the client's name ({@link CallPolicy#service()}), retry policy and
     * per-route overrides (keyed by {@link HttpRequest#route()}), retry budget, circuit breakers,
     * headers sent with every request, metrics and time. Default: {@link CallPolicy} defaults with
     * the base URL's host as service.
     */
    public Builder callPolicy(CallPolicy policy) {
      this.callPolicy = Objects.requireNonNull(policy, "callPolicy");
      return this;
    }

    /**
     * Where the client runs. Default {@link Environment#DEVELOPMENT}. {@link
     * Environment#PRODUCTION} makes a failed health check throw (unless {@link
     * #failedHealthCheckThrows(boolean)} says otherwise) and refuses {@link
     * #disableTlsVerification()} unless forced.
     */
    public Builder environment(Environment environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /**
     * Whether {@link LifelineHttpClient#healthCheck()} throws {@link HealthCheckFailedException}
     * rather than returning {@code false}, so that a service does not start blind. Default: {@code
     * true} in {@link Environment#PRODUCTION}, {@code false} elsewhere.
     */
    public Builder failedHealthCheckThrows(boolean throwsOnFailure) {
      this.failedHealthCheckThrows = throwsOnFailure;
      return this;
    }

    /**
     * The total connection limit. Default 100.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConnections(int max) {
      this.maxConnections = Check.atLeast("maxConnections", max, 1);
      return this;
    }

    /**
     * The connection limit per host. Default 30. Must not exceed {@link #maxConnections(int)}
     * (checked by {@link #build()}).
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConnectionsPerHost(int max) {
      this.maxConnectionsPerHost = Check.atLeast("maxConnectionsPerHost", max, 1);
      return this;
    }

    /**
     * The longest an attempt may take to connect, and separately to complete the TLS handshake.
     * Never longer than the time left in the call. Default 3 s.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Check.positive("connectTimeout", timeout);
      return this;
    }

    /**
     * The longest the client waits for the next bytes of the response (the socket read timeout).
     * The call's deadline bounds the whole response regardless. Default 10 s.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder responseTimeout(Duration timeout) {
      this.responseTimeout = Check.positive("responseTimeout", timeout);
      return this;
    }

    /**
     * Overall time for a logical call, retries included; every attempt is cancelled when it runs
     * out. Per request: {@link HttpRequest.Builder#timeout(Duration)}. Default 30 s.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = Check.positive("callTimeout", timeout);
      return this;
    }

    /**
     * The largest response body {@link LifelineHttpClient#execute} reads into memory; a larger one
     * (announced or actual) fails the call with {@link ErrorType#RESPONSE_TOO_LARGE}. Per request:
     * {@link HttpRequest.Builder#maxResponseBytes(long)}; for larger bodies use {@link
     * LifelineHttpClient#executeStreaming}. Default {@link #DEFAULT_MAX_RESPONSE_BYTES} (16 MiB).
     *
     * @throws IllegalArgumentException if not within {@code [0, Integer.MAX_VALUE - 8]}, the
     *     largest array the JVM allocates
     */
    public Builder maxResponseBytes(long max) {
      this.maxResponseBytes = Check.inRange("maxResponseBytes", max, 0L, Integer.MAX_VALUE - 8);
      return this;
    }

    /**
     * How long resolved addresses are reused. Default 5 min (as the original's {@code
     * ttl_dns_cache=300}); zero turns the cache off.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder dnsCacheTtl(Duration ttl) {
      this.dnsCacheTtl = Check.atLeast("dnsCacheTtl", ttl, Duration.ZERO);
      return this;
    }

    /**
     * Idle connections are closed after this long. Default 30 s.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder idleEviction(Duration idle) {
      this.idleEviction = Check.positive("idleEviction", idle);
      return this;
    }

    /**
     * Connections are not reused past this age, so DNS changes are picked up. Default 5 min.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder connectionTimeToLive(Duration ttl) {
      this.connectionTimeToLive = Check.positive("connectionTimeToLive", ttl);
      return this;
    }

    /**
     * The health check's path. Default {@code /health}.
     *
     * @throws IllegalArgumentException if it does not start with {@code /}
     */
    public Builder healthPath(String path) {
      if (path == null || !path.startsWith("/")) {
        throw Check.invalid("healthPath", "'" + path + "'", "starts with '/'");
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
     * itself when built. Refused in {@link Environment#PRODUCTION} unless {@link
     * #forceInsecureTlsInProductionIUnderstandTheRisk()} is also called.
     */
    public Builder disableTlsVerification() {
      this.tlsVerification = false;
      return this;
    }

    /**
     * Allows {@link #disableTlsVerification()} in production. Exists so that nobody does this by
     * accident; the client logs an ERROR-level note naming itself when built.
     */
    public Builder forceInsecureTlsInProductionIUnderstandTheRisk() {
      this.forceInsecureTlsInProduction = true;
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
     * @throws IllegalStateException if TLS verification is off in production without the force
     *     switch
     */
    public HttpClientConfig build() {
      if (maxConnectionsPerHost > maxConnections) {
        throw Check.invalid(
            "maxConnectionsPerHost", maxConnectionsPerHost, "<= maxConnections " + maxConnections);
      }
      if (!tlsVerification
          && environment == Environment.PRODUCTION
          && !forceInsecureTlsInProduction) {
        throw new IllegalStateException(
            "TLS verification is disabled for client '"
                + (callPolicy != null ? callPolicy.service() : baseUrl.getHost())
                + "' in production: refused (call forceInsecureTlsInProductionIUnderstandTheRisk()"
                + " to override)");
      }
      return new HttpClientConfig(this);
    }

    /** Shortcut for {@code LifelineHttpClient.create(build())}. */
    public LifelineHttpClient buildClient() {
      return LifelineHttpClient.create(build());
    }
  }
}
