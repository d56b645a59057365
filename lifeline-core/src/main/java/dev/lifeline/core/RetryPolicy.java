package dev.lifeline.core;

import dev.lifeline.core.internal.Check;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * When and how often a call is retried.
 *
 * <p>Defaults ({@link #defaults()}): {@code maxAttempts} 3 (the first call plus two retries);
 * backoff {@code exponential(100 ms, 10 s)} ×2 with ±20% jitter; no per-attempt timeout; retry on
 * {@link FailureKind#UNAVAILABLE} and {@link FailureKind#NOT_ACTIVE}; idempotency taken from the
 * method (see {@link #idempotent()}); server pushback honoured; the attempt count bounds every call
 * ({@link #retryUntilDeadline()} off).
 *
 * <p>The one rule for what is retried: a failed attempt is tried again only if its kind is listed
 * in {@link #retryOn()} (NOT_ACTIVE always is), attempts and deadline leave room, and either the
 * request provably never reached the server's application (no request headers left this client, the
 * connection was refused, or a standby answered NOT_ACTIVE) or the call is idempotent.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder()} or modify with {@link #toBuilder()}.
 */
public final class RetryPolicy {

  private static final RetryPolicy DEFAULTS = builder().build();
  private static final RetryPolicy NO_RETRY = builder().maxAttempts(1).build();

  private final int maxAttempts;
  private final Backoff backoff;
  private final @Nullable Duration perAttemptTimeout;
  private final Set<FailureKind> retryOn;
  private final @Nullable Boolean idempotent;
  private final boolean honorPushback;
  private final boolean retryUntilDeadline;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.backoff = b.backoff;
    this.perAttemptTimeout = b.perAttemptTimeout;
    this.retryOn = Collections.unmodifiableSet(EnumSet.copyOf(b.retryOn));
    this.idempotent = b.idempotent;
    this.honorPushback = b.honorPushback;
    this.retryUntilDeadline = b.retryUntilDeadline;
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
    b.retryUntilDeadline = retryUntilDeadline;
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

  /**
   * Whether {@code kind} may be retried under this policy. NOT_ACTIVE always may: a standby never
   * ran the request, so moving the call to the active member is always safe.
   */
  public boolean retries(FailureKind kind) {
    return kind == FailureKind.NOT_ACTIVE || retryOn.contains(kind);
  }

  /**
   * Whether the call may safely run twice, if this policy says so; empty (the default) lets the
   * method decide: a gRPC method is idempotent when its {@code .proto} declares {@code
   * idempotency_level = IDEMPOTENT} or {@code NO_SIDE_EFFECTS} ({@code
   * MethodDescriptor.isIdempotent()} or {@code isSafe()}); an HTTP request when its method is (RFC
   * 9110: GET, HEAD, PUT, DELETE, OPTIONS, TRACE). Unmarked gRPC methods are not idempotent,
   * because a write that is re-sent after it may have run is the failure this library exists to
   * prevent; mark read methods in the {@code .proto}, or override here per method.
   *
   * <p>A non-idempotent call is retried only when the request provably never reached the server's
   * application.
   */
  public Optional<Boolean> idempotent() {
    return Optional.ofNullable(idempotent);
  }

  /**
   * Whether a call with a deadline keeps retrying until the deadline leaves no room for the next
   * backoff, instead of stopping after {@link #maxAttempts()}. Calls without a deadline always stop
   * after {@code maxAttempts}.
   */
  public boolean retryUntilDeadline() {
    return retryUntilDeadline;
  }

  /** Whether a server's pushback (e.g. {@code grpc-retry-pushback-ms}) replaces the backoff. */
  public boolean honorPushback() {
    return honorPushback;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RetryPolicy p)) {
      return false;
    }

    return maxAttempts == p.maxAttempts
        && backoff.equals(p.backoff)
        && Objects.equals(perAttemptTimeout, p.perAttemptTimeout)
        && retryOn.equals(p.retryOn)
        && Objects.equals(idempotent, p.idempotent)
        && honorPushback == p.honorPushback
        && retryUntilDeadline == p.retryUntilDeadline;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        maxAttempts,
        backoff,
        perAttemptTimeout,
        retryOn,
        idempotent,
        honorPushback,
        retryUntilDeadline);
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
        + ", retryUntilDeadline="
        + retryUntilDeadline
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
    private @Nullable Duration perAttemptTimeout;
    private EnumSet<FailureKind> retryOn =
        EnumSet.of(FailureKind.UNAVAILABLE, FailureKind.NOT_ACTIVE);
    private @Nullable Boolean idempotent;
    private boolean honorPushback = true;
    private boolean retryUntilDeadline;

    private Builder() {}

    /**
     * Attempts in total, the first call included; 1 means no retry. Default 3.
     *
     * @throws IllegalArgumentException if not within {@code [1, 100]}
     */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = Check.inRange("maxAttempts", maxAttempts, 1, 100);
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
    public Builder perAttemptTimeout(@Nullable Duration perAttemptTimeout) {
      if (perAttemptTimeout != null
          && (perAttemptTimeout.isNegative() || perAttemptTimeout.isZero())) {
        throw Check.invalid("perAttemptTimeout", perAttemptTimeout, "> 0 or null");
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

    /**
     * Whether the call may safely run twice, overriding what the method says. Default: unset, the
     * method decides (see {@link RetryPolicy#idempotent()}).
     */
    public Builder idempotent(boolean idempotent) {
      this.idempotent = idempotent;
      return this;
    }

    /**
     * Whether a call with a deadline keeps retrying until its deadline leaves no room for the next
     * backoff, instead of stopping after {@link #maxAttempts}. Default {@code false}. Useful where
     * a restart or failover may take longer than the attempts' backoffs add up to, and the caller's
     * deadline is the real limit.
     */
    public Builder retryUntilDeadline(boolean retryUntilDeadline) {
      this.retryUntilDeadline = retryUntilDeadline;
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
