package dev.lifeline.grpc;

import java.time.Duration;
import java.util.Objects;

/**
 * How a pooled gRPC channel is configured. Together with the target string it is the key of a
 * {@link ChannelPool} entry: two leases with equal options and target share one channel.
 *
 * <p>Every default lives here, in one place:
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>{@code keepAliveTime}</td><td>30 s</td><td>detects dead peers and stops NATs and
 *       proxies from dropping idle connections</td></tr>
 *   <tr><td>{@code keepAliveTimeout}</td><td>10 s</td><td>a ping unanswered this long closes the
 *       connection</td></tr>
 *   <tr><td>{@code keepAliveWithoutCalls}</td><td>true</td><td>idle channels stay warm (the
 *       isa_common original let them die)</td></tr>
 *   <tr><td>{@code maxInboundMessageSize}</td><td>10 MiB</td><td>what the originals use</td></tr>
 *   <tr><td>{@code idleTimeout}</td><td>5 min</td><td>an unused channel releases its connection
 *       and reconnects on the next call</td></tr>
 *   <tr><td>{@code defaultDeadline}</td><td>30 s</td><td>applied to every call that has no
 *       deadline of its own: nothing waits forever</td></tr>
 *   <tr><td>{@code reconnectBackoffInitial}</td><td>50 ms</td><td>first delay before Lifeline
 *       resets grpc's connect backoff</td></tr>
 *   <tr><td>{@code reconnectBackoffMax}</td><td>150 ms</td><td>keeps the first call after a server
 *       returns within about 200 ms, however long the outage (grpc alone waits up to 120 s)</td></tr>
 *   <tr><td>{@code reconnectBackoffMultiplier}</td><td>1.6</td><td>grpc's own growth factor</td></tr>
 *   <tr><td>{@code reconnectBackoffJitter}</td><td>0.2</td><td>plus or minus 20 %, so clients do
 *       not reconnect in lock step</td></tr>
 *   <tr><td>{@code escapeHatchThreshold}</td><td>10</td><td>consecutive UNAVAILABLE or
 *       DEADLINE_EXCEEDED results on a channel that claims READY before it is rebuilt</td></tr>
 *   <tr><td>{@code maxConnectionsPerTarget}</td><td>1</td><td>extra connections are opened only
 *       when every usable one carries {@code maxConcurrentCallsPerConnection} calls (gRFC A105
 *       semantics); members in TRANSIENT_FAILURE are skipped</td></tr>
 *   <tr><td>{@code maxConcurrentCallsPerConnection}</td><td>100</td><td>the HTTP/2 stream limit
 *       assumed per connection (the common server setting)</td></tr>
 *   <tr><td>{@code shutdownGrace}</td><td>5 s</td><td>how long in-flight calls may drain when a
 *       channel is closed or replaced</td></tr>
 * </table>
 *
 * <p>grpc's service-config retry is always disabled on Lifeline channels ({@code disableRetry()}),
 * so that attempts made by Lifeline's retry interceptor never multiply with grpc's; grpc's
 * transparent retry of calls that never left the client stays on.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChannelOptions {

  /** Default keepalive ping interval: 30 s. */
  public static final Duration DEFAULT_KEEP_ALIVE_TIME = Duration.ofSeconds(30);

  /** Default keepalive ping timeout: 10 s. */
  public static final Duration DEFAULT_KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(10);

  /** Default maximum inbound message size: 10 MiB. */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = 10 * 1024 * 1024;

  /** Default idle timeout: 5 minutes. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  /** Default deadline of a call that has none: 30 s. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  /** Default first reconnect delay: 50 ms. */
  public static final Duration DEFAULT_RECONNECT_BACKOFF_INITIAL = Duration.ofMillis(50);

  /** Default largest reconnect delay: 150 ms. */
  public static final Duration DEFAULT_RECONNECT_BACKOFF_MAX = Duration.ofMillis(150);

  /** Default growth of the reconnect delay: 1.6. */
  public static final double DEFAULT_RECONNECT_BACKOFF_MULTIPLIER = 1.6;

  /** Default jitter of the reconnect delay: 0.2 (plus or minus 20 %). */
  public static final double DEFAULT_RECONNECT_BACKOFF_JITTER = 0.2;

  /** Default number of failures on a READY channel before it is rebuilt: 10. */
  public static final int DEFAULT_ESCAPE_HATCH_THRESHOLD = 10;

  /** Default number of connections per target: 1. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_TARGET = 1;

  /** Default number of concurrent calls one connection carries before another is added: 100. */
  public static final int DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION = 100;

  /** Default drain time for in-flight calls when a channel closes: 5 s. */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(5);

  private static final ChannelOptions DEFAULTS = new Builder().build();

  private final Duration keepAliveTime;
  private final Duration keepAliveTimeout;
  private final boolean keepAliveWithoutCalls;
  private final int maxInboundMessageSize;
  private final Duration idleTimeout;
  private final Duration defaultDeadline;
  private final Duration reconnectBackoffInitial;
  private final Duration reconnectBackoffMax;
  private final double reconnectBackoffMultiplier;
  private final double reconnectBackoffJitter;
  private final int escapeHatchThreshold;
  private final int maxConnectionsPerTarget;
  private final int maxConcurrentCallsPerConnection;
  private final Duration shutdownGrace;

  private ChannelOptions(Builder b) {
    this.keepAliveTime = b.keepAliveTime;
    this.keepAliveTimeout = b.keepAliveTimeout;
    this.keepAliveWithoutCalls = b.keepAliveWithoutCalls;
    this.maxInboundMessageSize = b.maxInboundMessageSize;
    this.idleTimeout = b.idleTimeout;
    this.defaultDeadline = b.defaultDeadline;
    this.reconnectBackoffInitial = b.reconnectBackoffInitial;
    this.reconnectBackoffMax = b.reconnectBackoffMax;
    this.reconnectBackoffMultiplier = b.reconnectBackoffMultiplier;
    this.reconnectBackoffJitter = b.reconnectBackoffJitter;
    this.escapeHatchThreshold = b.escapeHatchThreshold;
    this.maxConnectionsPerTarget = b.maxConnectionsPerTarget;
    this.maxConcurrentCallsPerConnection = b.maxConcurrentCallsPerConnection;
    this.shutdownGrace = b.shutdownGrace;
  }

  /** The options with every default (see the class documentation). */
  public static ChannelOptions defaults() {
    return DEFAULTS;
  }

  /** A builder that starts from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder that starts from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.keepAliveTime = keepAliveTime;
    b.keepAliveTimeout = keepAliveTimeout;
    b.keepAliveWithoutCalls = keepAliveWithoutCalls;
    b.maxInboundMessageSize = maxInboundMessageSize;
    b.idleTimeout = idleTimeout;
    b.defaultDeadline = defaultDeadline;
    b.reconnectBackoffInitial = reconnectBackoffInitial;
    b.reconnectBackoffMax = reconnectBackoffMax;
    b.reconnectBackoffMultiplier = reconnectBackoffMultiplier;
    b.reconnectBackoffJitter = reconnectBackoffJitter;
    b.escapeHatchThreshold = escapeHatchThreshold;
    b.maxConnectionsPerTarget = maxConnectionsPerTarget;
    b.maxConcurrentCallsPerConnection = maxConcurrentCallsPerConnection;
    b.shutdownGrace = shutdownGrace;
    return b;
  }

  /** Interval between keepalive pings. */
  public Duration keepAliveTime() {
    return keepAliveTime;
  }

  /** How long a keepalive ping may go unanswered before the connection is closed. */
  public Duration keepAliveTimeout() {
    return keepAliveTimeout;
  }

  /** Whether keepalive pings are sent while no call is active. */
  public boolean keepAliveWithoutCalls() {
    return keepAliveWithoutCalls;
  }

  /** Largest message, in bytes, the channel accepts from the server. */
  public int maxInboundMessageSize() {
    return maxInboundMessageSize;
  }

  /** How long a channel may go without calls before it releases its connection. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** Deadline given to every call that carries none of its own. */
  public Duration defaultDeadline() {
    return defaultDeadline;
  }

  /** First delay before Lifeline resets grpc's connect backoff in TRANSIENT_FAILURE. */
  public Duration reconnectBackoffInitial() {
    return reconnectBackoffInitial;
  }

  /** Largest delay between two resets of grpc's connect backoff. */
  public Duration reconnectBackoffMax() {
    return reconnectBackoffMax;
  }

  /** Factor by which the reconnect delay grows after each reset. */
  public double reconnectBackoffMultiplier() {
    return reconnectBackoffMultiplier;
  }

  /** Relative jitter of each reconnect delay, in [0, 1). */
  public double reconnectBackoffJitter() {
    return reconnectBackoffJitter;
  }

  /**
   * Consecutive UNAVAILABLE or DEADLINE_EXCEEDED results, on calls started while the channel
   * claimed READY, after which the channel is rebuilt (grpc-java issue 12958).
   */
  public int escapeHatchThreshold() {
    return escapeHatchThreshold;
  }

  /**
   * Most connections (grpc channels) the pool opens to this target. One more is added only when
   * every connection not in TRANSIENT_FAILURE carries {@link #maxConcurrentCallsPerConnection()}
   * calls; surplus connections go idle after {@link #idleTimeout()}.
   */
  public int maxConnectionsPerTarget() {
    return maxConnectionsPerTarget;
  }

  /** Calls one connection carries before the pool considers it full (the HTTP/2 stream limit). */
  public int maxConcurrentCallsPerConnection() {
    return maxConcurrentCallsPerConnection;
  }

  /** How long in-flight calls may drain before a closing channel is forced shut. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ChannelOptions)) {
      return false;
    }
    ChannelOptions that = (ChannelOptions) o;
    return keepAliveWithoutCalls == that.keepAliveWithoutCalls
        && maxInboundMessageSize == that.maxInboundMessageSize
        && Double.compare(reconnectBackoffMultiplier, that.reconnectBackoffMultiplier) == 0
        && Double.compare(reconnectBackoffJitter, that.reconnectBackoffJitter) == 0
        && escapeHatchThreshold == that.escapeHatchThreshold
        && maxConnectionsPerTarget == that.maxConnectionsPerTarget
        && maxConcurrentCallsPerConnection == that.maxConcurrentCallsPerConnection
        && keepAliveTime.equals(that.keepAliveTime)
        && keepAliveTimeout.equals(that.keepAliveTimeout)
        && idleTimeout.equals(that.idleTimeout)
        && defaultDeadline.equals(that.defaultDeadline)
        && reconnectBackoffInitial.equals(that.reconnectBackoffInitial)
        && reconnectBackoffMax.equals(that.reconnectBackoffMax)
        && shutdownGrace.equals(that.shutdownGrace);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        keepAliveTime,
        keepAliveTimeout,
        keepAliveWithoutCalls,
        maxInboundMessageSize,
        idleTimeout,
        defaultDeadline,
        reconnectBackoffInitial,
        reconnectBackoffMax,
        reconnectBackoffMultiplier,
        reconnectBackoffJitter,
        escapeHatchThreshold,
        maxConnectionsPerTarget,
        maxConcurrentCallsPerConnection,
        shutdownGrace);
  }

  @Override
  public String toString() {
    return "ChannelOptions{keepAliveTime="
        + keepAliveTime
        + ", keepAliveTimeout="
        + keepAliveTimeout
        + ", keepAliveWithoutCalls="
        + keepAliveWithoutCalls
        + ", maxInboundMessageSize="
        + maxInboundMessageSize
        + ", idleTimeout="
        + idleTimeout
        + ", defaultDeadline="
        + defaultDeadline
        + ", reconnectBackoff="
        + reconnectBackoffInitial
        + ".."
        + reconnectBackoffMax
        + " x"
        + reconnectBackoffMultiplier
        + " ±"
        + reconnectBackoffJitter
        + ", escapeHatchThreshold="
        + escapeHatchThreshold
        + ", maxConnectionsPerTarget="
        + maxConnectionsPerTarget
        + ", maxConcurrentCallsPerConnection="
        + maxConcurrentCallsPerConnection
        + ", shutdownGrace="
        + shutdownGrace
        + '}';
  }

  /**
   * Builds {@link ChannelOptions}. Each setter validates its argument at once and throws {@link
   * IllegalArgumentException} naming the field, the value and the accepted range.
   *
   * <p>Mutable and not thread-safe.
   */
  public static final class Builder {
    private Duration keepAliveTime = DEFAULT_KEEP_ALIVE_TIME;
    private Duration keepAliveTimeout = DEFAULT_KEEP_ALIVE_TIMEOUT;
    private boolean keepAliveWithoutCalls = true;
    private int maxInboundMessageSize = DEFAULT_MAX_INBOUND_MESSAGE_SIZE;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private Duration defaultDeadline = DEFAULT_DEADLINE;
    private Duration reconnectBackoffInitial = DEFAULT_RECONNECT_BACKOFF_INITIAL;
    private Duration reconnectBackoffMax = DEFAULT_RECONNECT_BACKOFF_MAX;
    private double reconnectBackoffMultiplier = DEFAULT_RECONNECT_BACKOFF_MULTIPLIER;
    private double reconnectBackoffJitter = DEFAULT_RECONNECT_BACKOFF_JITTER;
    private int escapeHatchThreshold = DEFAULT_ESCAPE_HATCH_THRESHOLD;
    private int maxConnectionsPerTarget = DEFAULT_MAX_CONNECTIONS_PER_TARGET;
    private int maxConcurrentCallsPerConnection = DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION;
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;

    private Builder() {}

    /**
     * Interval between keepalive pings; default 30 s.
     *
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder keepAliveTime(Duration value) {
      this.keepAliveTime = positive("keepAliveTime", value);
      return this;
    }

    /**
     * Keepalive ping timeout; default 10 s.
     *
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder keepAliveTimeout(Duration value) {
      this.keepAliveTimeout = positive("keepAliveTimeout", value);
      return this;
    }

    /** Whether pings are sent while no call is active; default true. */
    public Builder keepAliveWithoutCalls(boolean value) {
      this.keepAliveWithoutCalls = value;
      return this;
    }

    /**
     * Largest inbound message in bytes; default 10 MiB.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder maxInboundMessageSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxInboundMessageSize: " + bytes + " (expected: >= 1)");
      }
      this.maxInboundMessageSize = bytes;
      return this;
    }

    /**
     * Idle time after which the channel releases its connection; default 5 min.
     *
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder idleTimeout(Duration value) {
      this.idleTimeout = positive("idleTimeout", value);
      return this;
    }

    /**
     * Deadline given to calls that have none; default 30 s.
     *
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder defaultDeadline(Duration value) {
      this.defaultDeadline = positive("defaultDeadline", value);
      return this;
    }

    /**
     * First reconnect delay; default 50 ms.
     *
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder reconnectBackoffInitial(Duration value) {
      this.reconnectBackoffInitial = positive("reconnectBackoffInitial", value);
      return this;
    }

    /**
     * Largest reconnect delay; default 150 ms. Must not be below the initial delay (checked by
     * {@link #build()}).
     *
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder reconnectBackoffMax(Duration value) {
      this.reconnectBackoffMax = positive("reconnectBackoffMax", value);
      return this;
    }

    /**
     * Growth factor of the reconnect delay; default 1.6.
     *
     * @throws IllegalArgumentException if below 1 or not finite
     */
    public Builder reconnectBackoffMultiplier(double value) {
      if (!(value >= 1.0) || Double.isInfinite(value)) {
        throw new IllegalArgumentException(
            "reconnectBackoffMultiplier: " + value + " (expected: >= 1.0)");
      }
      this.reconnectBackoffMultiplier = value;
      return this;
    }

    /**
     * Relative jitter of the reconnect delay; default 0.2.
     *
     * @throws IllegalArgumentException if outside [0, 1)
     */
    public Builder reconnectBackoffJitter(double value) {
      if (!(value >= 0.0 && value < 1.0)) {
        throw new IllegalArgumentException(
            "reconnectBackoffJitter: " + value + " (expected: >= 0.0 and < 1.0)");
      }
      this.reconnectBackoffJitter = value;
      return this;
    }

    /**
     * Consecutive failures on a READY channel before it is rebuilt; default 10.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder escapeHatchThreshold(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("escapeHatchThreshold: " + value + " (expected: >= 1)");
      }
      this.escapeHatchThreshold = value;
      return this;
    }

    /**
     * Most connections opened to the target; default 1.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConnectionsPerTarget(int value) {
      if (value < 1) {
        throw new IllegalArgumentException(
            "maxConnectionsPerTarget: " + value + " (expected: >= 1)");
      }
      this.maxConnectionsPerTarget = value;
      return this;
    }

    /**
     * Calls one connection carries before another is added; default 100.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConcurrentCallsPerConnection(int value) {
      if (value < 1) {
        throw new IllegalArgumentException(
            "maxConcurrentCallsPerConnection: " + value + " (expected: >= 1)");
      }
      this.maxConcurrentCallsPerConnection = value;
      return this;
    }

    /**
     * Drain time for in-flight calls when a channel closes; default 5 s.
     *
     * @throws IllegalArgumentException if null, zero or negative
     */
    public Builder shutdownGrace(Duration value) {
      this.shutdownGrace = positive("shutdownGrace", value);
      return this;
    }

    /**
     * Builds the immutable options.
     *
     * @throws IllegalArgumentException if {@code reconnectBackoffMax} is below {@code
     *     reconnectBackoffInitial}
     */
    public ChannelOptions build() {
      if (reconnectBackoffMax.compareTo(reconnectBackoffInitial) < 0) {
        throw new IllegalArgumentException(
            "reconnectBackoffMax: "
                + reconnectBackoffMax
                + " (expected: >= reconnectBackoffInitial "
                + reconnectBackoffInitial
                + ")");
      }
      return new ChannelOptions(this);
    }

    private static Duration positive(String field, Duration value) {
      if (value == null || value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException(field + ": " + value + " (expected: > 0)");
      }
      return value;
    }
  }
}
