package dev.lifeline.active;

import dev.lifeline.core.internal.Check;
import java.time.Duration;

/**
 * Timing of a single-active member. Immutable and thread-safe; build with {@link #builder()}.
 *
 * <p>Defaults: ttl 1.5 s, heartbeat 400 ms, safety margin 200 ms, store retry backoff up to 5 s,
 * drain timeout 2 s. The active renews every heartbeat; it counts its lease as valid until {@code
 * start of the last successful renew request + ttl - safetyMargin} and steps down at that local
 * deadline, which falls before any store can consider the lease expired.
 */
public final class ActiveOptions {

  private static final ActiveOptions DEFAULTS = builder().build();

  private final Duration ttl;
  private final Duration heartbeat;
  private final Duration safetyMargin;
  private final Duration maxStoreBackoff;
  private final Duration drainTimeout;

  private ActiveOptions(Builder b) {
    this.ttl = b.ttl;
    this.heartbeat = b.heartbeat;
    this.safetyMargin = b.safetyMargin;
    this.maxStoreBackoff = b.maxStoreBackoff;
    this.drainTimeout = b.drainTimeout;
  }

  /** The defaults listed in the class comment. */
  public static ActiveOptions defaults() {
    return DEFAULTS;
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** How long a lease lives without renewal. */
  public Duration ttl() {
    return ttl;
  }

  /** How often the active renews and standbys poll. Always below {@code ttl / 2}. */
  public Duration heartbeat() {
    return heartbeat;
  }

  /** How long before the store-side expiry the active steps down. */
  public Duration safetyMargin() {
    return safetyMargin;
  }

  /** Cap of the backoff between retries while the store is unreachable. */
  public Duration maxStoreBackoff() {
    return maxStoreBackoff;
  }

  /**
   * How long a graceful close waits for in-flight exclusive calls. Calls still running then have
   * their contexts cancelled, and the lease is left to expire rather than released under them.
   */
  public Duration drainTimeout() {
    return drainTimeout;
  }

  @Override
  public String toString() {
    return "ActiveOptions{ttl="
        + ttl
        + ", heartbeat="
        + heartbeat
        + ", safetyMargin="
        + safetyMargin
        + ", maxStoreBackoff="
        + maxStoreBackoff
        + ", drainTimeout="
        + drainTimeout
        + '}';
  }

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private Duration ttl = Duration.ofMillis(1500);
    private Duration heartbeat = Duration.ofMillis(400);
    private Duration safetyMargin = Duration.ofMillis(200);
    private Duration maxStoreBackoff = Duration.ofSeconds(5);
    private Duration drainTimeout = Duration.ofSeconds(2);

    private Builder() {}

    /**
     * Lease time to live (default 1.5 s).
     *
     * @throws IllegalArgumentException if not in 50 ms .. 5 min
     */
    public Builder ttl(Duration ttl) {
      this.ttl = Check.inRange("ttl", ttl, Duration.ofMillis(50), Duration.ofMinutes(5));
      return this;
    }

    /**
     * Renew and poll interval (default 400 ms); {@link #build()} requires it below ttl/2.
     *
     * @throws IllegalArgumentException if not in 5 ms .. 1 min
     */
    public Builder heartbeat(Duration heartbeat) {
      this.heartbeat =
          Check.inRange("heartbeat", heartbeat, Duration.ofMillis(5), Duration.ofMinutes(1));
      return this;
    }

    /**
     * Safety margin (default 200 ms); {@link #build()} requires it below {@code ttl - heartbeat}.
     *
     * @throws IllegalArgumentException if negative or above 1 min
     */
    public Builder safetyMargin(Duration margin) {
      this.safetyMargin =
          Check.inRange("safetyMargin", margin, Duration.ZERO, Duration.ofMinutes(1));
      return this;
    }

    /**
     * Cap of the backoff while the store is unreachable (default 5 s).
     *
     * @throws IllegalArgumentException if not in 10 ms .. 5 min
     */
    public Builder maxStoreBackoff(Duration d) {
      this.maxStoreBackoff =
          Check.inRange("maxStoreBackoff", d, Duration.ofMillis(10), Duration.ofMinutes(5));
      return this;
    }

    /**
     * Drain timeout of a graceful close (default 2 s).
     *
     * @throws IllegalArgumentException if negative or above 5 min
     */
    public Builder drainTimeout(Duration d) {
      this.drainTimeout = Check.inRange("drainTimeout", d, Duration.ZERO, Duration.ofMinutes(5));
      return this;
    }

    /**
     * Builds the options.
     *
     * @throws IllegalArgumentException if heartbeat is not below ttl/2 (the message names both), or
     *     the safety margin is not below ttl - heartbeat
     */
    public ActiveOptions build() {
      if (heartbeat.multipliedBy(2).compareTo(ttl) >= 0) {
        throw Check.invalid(
            "heartbeat", heartbeat, "< ttl/2 = " + ttl.dividedBy(2) + " with ttl: " + ttl);
      }
      if (safetyMargin.compareTo(ttl.minus(heartbeat)) >= 0) {
        throw Check.invalid(
            "safetyMargin", safetyMargin, "< ttl - heartbeat = " + ttl.minus(heartbeat));
      }
      return new ActiveOptions(this);
    }
  }
}
