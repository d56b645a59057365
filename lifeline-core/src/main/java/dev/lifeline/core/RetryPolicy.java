package dev.lifeline.core;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * When and how often a call is retried.
 *
 * <p>Defaults ({@link #defaults()}): {@code maxAttempts} 3 (the first call plus two retries);
 * backoff {@code exponential(100 ms, 10 s)} ×2 with ±20% jitter; no per-attempt timeout; retry on
 * {@link FailureKind#UNAVAILABLE} and {@link FailureKind#NOT_ACTIVE}; idempotent; server pushback
 * honoured.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder()} or modify with {@link #toBuilder()}.
 */
public final class RetryPolicy {

  private static final RetryPolicy DEFAULTS = builder().build();
  private static final RetryPolicy NO_RETRY = builder().maxAttempts(1).build();

  private final int maxAttempts;
  private final Backoff backoff;
  private final Duration perAttemptTimeout;
  private final Set<FailureKind> retryOn;
  private final boolean idempotent;
  private final boolean honorPushback;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.backoff = b.backoff;
    this.perAttemptTimeout = b.perAttemptTimeout;
    this.retryOn = Collections.unmodifiableSet(EnumSet.copyOf(b.retryOn));
    this.idempotent = b.idempotent;
    this.honorPushback = b.honorPushback;
  }

  /** The default policy described in the class documentation. */
  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /** A policy that makes exactly one attempt. */
  public static RetryPolicy noRetry() {
    return NO_RETRY;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this policy's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxAttempts = maxAttempts;
    b.backoff = backoff;
    b.perAttemptTimeout = perAttemptTimeout;
    b.retryOn = EnumSet.copyOf(retryOn);
    b.idempotent = idempotent;
    b.honorPushback = honorPushback;
    return b;
  }

  /** Attempts in total, the first call included: 1 means no retry. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The delay before each retry. */
  public Backoff backoff() {
    return backoff;
  }

  /** The time limit of one attempt, if any. The call's own deadline applies regardless. */
  public Optional<Duration> perAttemptTimeout() {
    return Optional.ofNullable(perAttemptTimeout);
  }

  /** The failure kinds that may be retried. */
  public Set<FailureKind> retryOn() {
    return retryOn;
  }

  /** Whether {@code kind} may be retried under this policy. */
  public boolean retries(FailureKind kind) {
    return retryOn.contains(kind);
  }

  /**
   * Whether the call may safely run twice. A non-idempotent call is retried only when the request
   * provably never reached the server (connection refused, stream refused, NOT_ACTIVE).
   */
  public boolean idempotent() {
    return idempotent;
  }

  /** Whether a server's pushback (e.g. {@code grpc-retry-pushback-ms}) replaces the backoff. */
  public boolean honorPushback() {
    return honorPushback;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RetryPolicy)) {
      return false;
    }
    RetryPolicy p = (RetryPolicy) o;
    return maxAttempts == p.maxAttempts
        && backoff.equals(p.backoff)
        && Objects.equals(perAttemptTimeout, p.perAttemptTimeout)
        && retryOn.equals(p.retryOn)
        && idempotent == p.idempotent
        && honorPushback == p.honorPushback;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        maxAttempts, backoff, perAttemptTimeout, retryOn, idempotent, honorPushback);
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts="
        + maxAttempts
        + ", backoff="
        + backoff
        + ", perAttemptTimeout="
        + perAttemptTimeout
        + ", retryOn="
        + retryOn
        + ", idempotent="
        + idempotent
        + ", honorPushback="
        + honorPushback
        + "}";
  }

  /**
   * Builds a {@link RetryPolicy}. Each setter validates its argument at once.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    private int maxAttempts = 3;
    private Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));
    private Duration perAttemptTimeout;
    private EnumSet<FailureKind> retryOn =
        EnumSet.of(FailureKind.UNAVAILABLE, FailureKind.NOT_ACTIVE);
    private boolean idempotent = true;
    private boolean honorPushback = true;

    private Builder() {}

    /**
     * Attempts in total, the first call included; 1 means no retry. Default 3.
     *
     * @throws IllegalArgumentException if not within {@code [1, 100]}
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1 || maxAttempts > 100) {
        throw new IllegalArgumentException(
            "maxAttempts: " + maxAttempts + " (expected: >= 1 and <= 100)");
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The delay before each retry. Default {@code exponential(100 ms, 10 s)} ×2 ±20%. */
    public Builder backoff(Backoff backoff) {
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /**
     * Shorthand for {@code backoff(Backoff.exponential(initial, max).withMultiplier(multiplier)
     * .withJitter(jitter))}.
     *
     * @throws IllegalArgumentException as {@link Backoff#exponential} and {@link
     *     Backoff#withMultiplier} do
     */
    public Builder backoff(Duration initial, Duration max, double multiplier, Jitter jitter) {
      return backoff(
          Backoff.exponential(initial, max).withMultiplier(multiplier).withJitter(jitter));
    }

    /**
     * The time limit of one attempt; {@code null} for none (the default). An attempt that runs out
     * of it fails as {@link FailureKind#TIMEOUT}, which is retried only if listed in {@link
     * #retryOn}.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder perAttemptTimeout(Duration perAttemptTimeout) {
      if (perAttemptTimeout != null
          && (perAttemptTimeout.isNegative() || perAttemptTimeout.isZero())) {
        throw new IllegalArgumentException(
            "perAttemptTimeout: " + perAttemptTimeout + " (expected: > 0 or null)");
      }
      this.perAttemptTimeout = perAttemptTimeout;
      return this;
    }

    /**
     * Replaces the retryable kinds. Default UNAVAILABLE and NOT_ACTIVE. OVERLOADED, ABORTED,
     * TIMEOUT and SERVER_ERROR are opt-in.
     *
     * @throws IllegalArgumentException if a kind is CALLER_ERROR or CANCELLED, which are never
     *     retried
     */
    public Builder retryOn(FailureKind... kinds) {
      EnumSet<FailureKind> set = EnumSet.noneOf(FailureKind.class);
      for (FailureKind kind : kinds) {
        Objects.requireNonNull(kind, "retryOn kind");
        if (!kind.isRetryable()) {
          throw new IllegalArgumentException(
              "retryOn: "
                  + kind
                  + " (expected: one of UNAVAILABLE, TIMEOUT, OVERLOADED, ABORTED, SERVER_ERROR,"
                  + " NOT_ACTIVE; "
                  + kind
                  + " is never retried because repeating the call cannot help)");
        }
        set.add(kind);
      }
      this.retryOn = set;
      return this;
    }

    /** Whether the call may safely run twice. Default {@code true}. */
    public Builder idempotent(boolean idempotent) {
      this.idempotent = idempotent;
      return this;
    }

    /** Whether server pushback replaces the backoff. Default {@code true}. */
    public Builder honorPushback(boolean honorPushback) {
      this.honorPushback = honorPushback;
      return this;
    }

    /** Returns the immutable policy. */
    public RetryPolicy build() {
      return new RetryPolicy(this);
    }
  }
}
