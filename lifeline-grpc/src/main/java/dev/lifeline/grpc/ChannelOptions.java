package dev.lifeline.grpc;

import dev.lifeline.core.Backoff;
import dev.lifeline.core.Jitter;
import dev.lifeline.core.internal.Check;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a pooled gRPC channel is configured. Together with the target string it is the key of a
 * {@link ChannelPool} entry: two leases with equal options and target share one channel.
 *
 * <p>Every default lives here, in one place:
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>why</th></tr>
 *   <tr><td>{@code keepAliveTime}</td><td>5 min</td><td>the most frequent ping a default grpc-java
 *       or grpc-go server accepts ({@code permitKeepAliveTime}); a client pinging more often is
 *       sent GOAWAY {@code too_many_pings} and loses its calls</td></tr>
 *   <tr><td>{@code keepAliveTimeout}</td><td>20 s</td><td>grpc's own default</td></tr>
 *   <tr><td>{@code keepAliveWithoutCalls}</td><td>false</td><td>default servers refuse pings on
 *       a connection without calls; see {@link Builder#frequentKeepAlive()} for the profile that
 *       keeps idle connections warm</td></tr>
 *   <tr><td>{@code maxInboundMessageSize}</td><td>10 MiB</td><td>what the originals use</td></tr>
 *   <tr><td>{@code idleTimeout}</td><td>5 min</td><td>an unused channel releases its connection
 *       and reconnects on the next call</td></tr>
 *   <tr><td>{@code defaultDeadline}</td><td>30 s</td><td>applied to every call that has no
 *       deadline of its own, and to the whole logical call when Lifeline's engine drives it:
 *       nothing waits forever</td></tr>
 *   <tr><td>{@code reconnectBackoff}</td><td>50 ms to 150 ms, x1.6, ±20 %</td><td>while calls
 *       wait for a channel in TRANSIENT_FAILURE, Lifeline skips grpc's reconnect backoff (1 s
 *       growing to 120 s) on this schedule, so the first call after a server returns gets through
 *       within about 200 ms however long the outage was. Never more than one connection attempt
 *       per target every 50 ms (about 6.7 a second at the steady 150 ms), and only while calls
 *       wait: with nobody calling, grpc's own backoff applies</td></tr>
 *   <tr><td>{@code connectWait}</td><td>1 s</td><td>how long a call made while its channel is in
 *       TRANSIENT_FAILURE waits for the reconnection (bounded by its deadline) before it fails
 *       with UNAVAILABLE; nothing was sent then, so a retry is always safe. Zero fails at
 *       once</td></tr>
 *   <tr><td>{@code escapeHatchThreshold}</td><td>10</td><td>consecutive failures that the
 *       transport produced itself (UNAVAILABLE with no response headers or trailers from the
 *       server) on calls started while the channel claimed READY, before it is rebuilt (grpc-java
 *       issue 12958). An answer the server sent, whatever its code, and a deadline never
 *       count</td></tr>
 *   <tr><td>{@code maxConnectionsPerTarget}</td><td>1</td><td>extra connections are opened only
 *       when every usable one carries {@code maxConcurrentCallsPerConnection} calls (gRFC A105
 *       semantics), and closed again when the load falls to half of what the others can
 *       carry</td></tr>
 *   <tr><td>{@code maxConcurrentCallsPerConnection}</td><td>100</td><td>the HTTP/2 stream limit
 *       assumed per connection (the common server setting)</td></tr>
 *   <tr><td>{@code shutdownGrace}</td><td>5 s</td><td>how long in-flight calls may drain when a
 *       channel is closed or replaced</td></tr>
 *   <tr><td>{@code linger}</td><td>60 s</td><td>how long a channel stays open after its last lease
 *       is released, so that code leasing per request (one repository object per request) reuses
 *       one channel instead of building one per request; a new lease within it takes the channel
 *       back. Zero closes at once</td></tr>
 * </table>
 *
 * <p>grpc's service-config retry is always off on Lifeline channels ({@code
 * disableServiceConfigLookUp()} with no default retry policy), so that attempts made by Lifeline's
 * engine never multiply with grpc's; grpc's transparent retry of calls that never left the client
 * stays on.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChannelOptions {

  /** Default keepalive ping interval: 5 min, what default grpc-java and grpc-go servers permit. */
  public static final Duration DEFAULT_KEEP_ALIVE_TIME = Duration.ofMinutes(5);

  /** Default keepalive ping timeout: 20 s. */
  public static final Duration DEFAULT_KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(20);

  /** Default maximum inbound message size: 10 MiB. */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_SIZE = 10 * 1024 * 1024;

  /** Default idle timeout: 5 minutes. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  /** Default deadline of a call that has none: 30 s. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  /** Default reconnect schedule: 50 ms growing x1.6 to 150 ms, ±20 % jitter. */
  public static final Backoff DEFAULT_RECONNECT_BACKOFF =
      Backoff.exponential(Duration.ofMillis(50), Duration.ofMillis(150))
          .withMultiplier(1.6)
          .withJitter(Jitter.proportional(0.2));

  /** Default wait of a call for a channel in TRANSIENT_FAILURE to reconnect: 1 s. */
  public static final Duration DEFAULT_CONNECT_WAIT = Duration.ofSeconds(1);

  /** Default number of transport failures on a READY channel before it is rebuilt: 10. */
  public static final int DEFAULT_ESCAPE_HATCH_THRESHOLD = 10;

  /** Default number of connections per target: 1. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_TARGET = 1;

  /** Default number of concurrent calls one connection carries before another is added: 100. */
  public static final int DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION = 100;

  /** Default drain time for in-flight calls when a channel closes: 5 s. */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(5);

  /** Default time a channel stays open after its last lease is released: 60 s. */
  public static final Duration DEFAULT_LINGER = Duration.ofSeconds(60);

  private static final ChannelOptions DEFAULTS = new Builder().build();

  private final Duration keepAliveTime;
  private final Duration keepAliveTimeout;
  private final boolean keepAliveWithoutCalls;
  private final int maxInboundMessageSize;
  private final Duration idleTimeout;
  private final Duration defaultDeadline;
  private final Backoff reconnectBackoff;
  private final Duration connectWait;
  private final int escapeHatchThreshold;
  private final int maxConnectionsPerTarget;
  private final int maxConcurrentCallsPerConnection;
  private final Duration shutdownGrace;
  private final Duration linger;

  private ChannelOptions(Builder b) {
    this.keepAliveTime = b.keepAliveTime;
    this.keepAliveTimeout = b.keepAliveTimeout;
    this.keepAliveWithoutCalls = b.keepAliveWithoutCalls;
    this.maxInboundMessageSize = b.maxInboundMessageSize;
    this.idleTimeout = b.idleTimeout;
    this.defaultDeadline = b.defaultDeadline;
    this.reconnectBackoff = b.reconnectBackoff;
    this.connectWait = b.connectWait;
    this.escapeHatchThreshold = b.escapeHatchThreshold;
    this.maxConnectionsPerTarget = b.maxConnectionsPerTarget;
    this.maxConcurrentCallsPerConnection = b.maxConcurrentCallsPerConnection;
    this.shutdownGrace = b.shutdownGrace;
    this.linger = b.linger;
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
    b.reconnectBackoff = reconnectBackoff;
    b.connectWait = connectWait;
    b.escapeHatchThreshold = escapeHatchThreshold;
    b.maxConnectionsPerTarget = maxConnectionsPerTarget;
    b.maxConcurrentCallsPerConnection = maxConcurrentCallsPerConnection;
    b.shutdownGrace = shutdownGrace;
    b.linger = linger;
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

  /**
   * Whether a server with these keepalive enforcement settings accepts this channel's pings (it
   * sends GOAWAY {@code too_many_pings} and closes the connection with its calls otherwise): the
   * interval is at least the server's {@code permitKeepAliveTime}, and pings without calls are sent
   * only to a server that permits them. A default grpc-java or grpc-go server permits 5 min and no
   * pings without calls.
   */
  public boolean keepAliveAcceptedBy(
      Duration serverPermitKeepAliveTime, boolean serverPermitsWithoutCalls) {
    Objects.requireNonNull(serverPermitKeepAliveTime, "serverPermitKeepAliveTime");
    return keepAliveTime.compareTo(serverPermitKeepAliveTime) >= 0
        && (!keepAliveWithoutCalls || serverPermitsWithoutCalls);
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

  /** Lifeline's schedule for skipping grpc's reconnect backoff while calls wait. */
  public Backoff reconnectBackoff() {
    return reconnectBackoff;
  }

  /** How long a call waits for a channel in TRANSIENT_FAILURE to reconnect; zero fails at once. */
  public Duration connectWait() {
    return connectWait;
  }

  /**
   * Consecutive failures the transport produced itself (UNAVAILABLE without any response headers or
   * trailers), on calls started while the channel claimed READY, after which the channel is rebuilt
   * (grpc-java issue 12958).
   */
  public int escapeHatchThreshold() {
    return escapeHatchThreshold;
  }

  /**
   * Most connections (grpc channels) the pool opens to this target. One more is added only when
   * every connection not in TRANSIENT_FAILURE carries {@link #maxConcurrentCallsPerConnection()}
   * calls, and the newest is closed again once the calls fit in half of the others.
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

  /** How long a channel stays open after its last lease is released; zero closes it at once. */
  public Duration linger() {
    return linger;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ChannelOptions that)) {
      return false;
    }

    return keepAliveWithoutCalls == that.keepAliveWithoutCalls
        && maxInboundMessageSize == that.maxInboundMessageSize
        && escapeHatchThreshold == that.escapeHatchThreshold
        && maxConnectionsPerTarget == that.maxConnectionsPerTarget
        && maxConcurrentCallsPerConnection == that.maxConcurrentCallsPerConnection
        && keepAliveTime.equals(that.keepAliveTime)
        && keepAliveTimeout.equals(that.keepAliveTimeout)
        && idleTimeout.equals(that.idleTimeout)
        && defaultDeadline.equals(that.defaultDeadline)
        && reconnectBackoff.equals(that.reconnectBackoff)
        && connectWait.equals(that.connectWait)
        && shutdownGrace.equals(that.shutdownGrace)
        && linger.equals(that.linger);
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
        reconnectBackoff,
        connectWait,
        escapeHatchThreshold,
        maxConnectionsPerTarget,
        maxConcurrentCallsPerConnection,
        shutdownGrace,
        linger);
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
        + reconnectBackoff
        + ", connectWait="
        + connectWait
        + ", escapeHatchThreshold="
        + escapeHatchThreshold
        + ", maxConnectionsPerTarget="
        + maxConnectionsPerTarget
        + ", maxConcurrentCallsPerConnection="
        + maxConcurrentCallsPerConnection
        + ", shutdownGrace="
        + shutdownGrace
        + ", linger="
        + linger
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
    private boolean keepAliveWithoutCalls = false;
    private int maxInboundMessageSize = DEFAULT_MAX_INBOUND_MESSAGE_SIZE;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private Duration defaultDeadline = DEFAULT_DEADLINE;
    private Backoff reconnectBackoff = DEFAULT_RECONNECT_BACKOFF;
    private Duration connectWait = DEFAULT_CONNECT_WAIT;
    private int escapeHatchThreshold = DEFAULT_ESCAPE_HATCH_THRESHOLD;
    private int maxConnectionsPerTarget = DEFAULT_MAX_CONNECTIONS_PER_TARGET;
    private int maxConcurrentCallsPerConnection = DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION;
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private Duration linger = DEFAULT_LINGER;

    private Builder() {}

    /**
     * Interval between keepalive pings; default 5 min. grpc-java clients never ping more often than
     * every 10 s, whatever is set.
     *
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder keepAliveTime(Duration value) {
      this.keepAliveTime = Check.positive("keepAliveTime", value);
      return this;
    }

    /**
     * Keepalive ping timeout; default 20 s.
     *
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder keepAliveTimeout(Duration value) {
      this.keepAliveTimeout = Check.positive("keepAliveTimeout", value);
      return this;
    }

    /** Whether pings are sent while no call is active; default false. */
    public Builder keepAliveWithoutCalls(boolean value) {
      this.keepAliveWithoutCalls = value;
      return this;
    }

    /**
     * The isa_common original's keepalive: a ping every 30 s, 10 s timeout, also without calls, so
     * that idle connections stay warm through NATs and proxies that drop quiet ones. The server
     * must accept it, or it closes the connection with GOAWAY {@code too_many_pings}: on grpc-java,
     * {@code NettyServerBuilder.permitKeepAliveTime(30, SECONDS)} (or less) and {@code
     * permitKeepAliveWithoutCalls(true)}; on grpc-go, {@code keepalive.EnforcementPolicy{MinTime:
     * 30 * time.Second, PermitWithoutStream: true}}.
     */
    public Builder frequentKeepAlive() {
      this.keepAliveTime = Duration.ofSeconds(30);
      this.keepAliveTimeout = Duration.ofSeconds(10);
      this.keepAliveWithoutCalls = true;
      return this;
    }

    /**
     * Largest inbound message in bytes; default 10 MiB.
     *
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder maxInboundMessageSize(int bytes) {
      this.maxInboundMessageSize = Check.atLeast("maxInboundMessageSize", bytes, 1);
      return this;
    }

    /**
     * Idle time after which the channel releases its connection; default 5 min.
     *
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder idleTimeout(Duration value) {
      this.idleTimeout = Check.positive("idleTimeout", value);
      return this;
    }

    /**
     * Deadline given to calls that have none; default 30 s.
     *
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder defaultDeadline(Duration value) {
      this.defaultDeadline = Check.positive("defaultDeadline", value);
      return this;
    }

    /**
     * Lifeline's schedule for skipping grpc's reconnect backoff while calls wait; default 50 ms
     * growing x1.6 to 150 ms, ±20 %. Its initial delay is also the least time between two
     * connection attempts to the target.
     *
     * @throws IllegalArgumentException if its initial delay is below 10 ms
     */
    public Builder reconnectBackoff(Backoff value) {
      Objects.requireNonNull(value, "reconnectBackoff");
      if (value.initial().compareTo(Duration.ofMillis(10)) < 0) {
        throw Check.invalid("reconnectBackoff", value, "initial >= 10 ms");
      }
      this.reconnectBackoff = value;
      return this;
    }

    /**
     * How long a call made while its channel is in TRANSIENT_FAILURE waits for the reconnection;
     * default 1 s, always bounded by the call's deadline. Zero fails such calls at once (grpc's own
     * behaviour).
     *
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if negative
     */
    public Builder connectWait(Duration value) {
      this.connectWait = Check.atLeast("connectWait", value, Duration.ZERO);
      return this;
    }

    /**
     * Consecutive transport failures on a READY channel before it is rebuilt; default 10.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder escapeHatchThreshold(int value) {
      this.escapeHatchThreshold = Check.atLeast("escapeHatchThreshold", value, 1);
      return this;
    }

    /**
     * Most connections opened to the target; default 1.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConnectionsPerTarget(int value) {
      this.maxConnectionsPerTarget = Check.atLeast("maxConnectionsPerTarget", value, 1);
      return this;
    }

    /**
     * Calls one connection carries before another is added; default 100.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConcurrentCallsPerConnection(int value) {
      this.maxConcurrentCallsPerConnection =
          Check.atLeast("maxConcurrentCallsPerConnection", value, 1);
      return this;
    }

    /**
     * Drain time for in-flight calls when a channel closes; default 5 s.
     *
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder shutdownGrace(Duration value) {
      this.shutdownGrace = Check.positive("shutdownGrace", value);
      return this;
    }

    /**
     * How long a channel stays open after its last lease is released; default 60 s. Zero closes it
     * at once.
     *
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if negative
     */
    public Builder linger(Duration value) {
      this.linger = Check.atLeast("linger", value, Duration.ZERO);
      return this;
    }

    /** Builds the immutable options. */
    public ChannelOptions build() {
      return new ChannelOptions(this);
    }
  }
}
