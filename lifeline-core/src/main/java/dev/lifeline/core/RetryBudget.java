package dev.lifeline.core;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.internal.Check;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A retry budget for one target, in the style of Finagle's {@code RetryBudget}: every call deposits
 * {@code ratio} of a token, every retry withdraws one, and deposits and withdrawals expire after
 * {@code window}. A reserve of {@code minRetriesPerSecond × window} tokens lets a quiet client
 * still retry. So over any window, retries ≤ {@code ratio} × calls + reserve: when the target
 * answers UNAVAILABLE to everything, attempts stay near 1.2 × calls instead of {@code maxAttempts}
 * × calls.
 *
 * <p>Defaults (Finagle's): ratio 0.2, minRetriesPerSecond 10, window 10 s, system ticker. The floor
 * of 10 retries per second lets a low-traffic client ride out a server restart; set it lower for
 * targets that must never see more than the ratio.
 *
 * <p>Thread-safe: its methods synchronize on the budget.
 */
public final class RetryBudget {

  private static final int SLICES = 10;
  private static final long SCALE = 1000;

  private static final RetryBudget UNLIMITED = new RetryBudget(null);

  private final Ticker ticker;
  private final double ratio;
  private final long reserveMillitokens;
  private final long sliceNanos;
  private final long depositMillitokens;
  private final Duration window;
  private final int minRetriesPerSecond;
  private final AtomicLong rejections = new AtomicLong();

  /** Net millitokens per slice. */
  @GuardedBy("this")
  private final long[] slices = new long[SLICES];

  /** Absolute index of the newest slice (ticker nanos / slice length). */
  @GuardedBy("this")
  private long currentSlice;

  private RetryBudget(@Nullable Builder b) {
    if (b == null) {
      this.ticker = () -> 0;
      this.ratio = Double.POSITIVE_INFINITY;
      this.reserveMillitokens = Long.MAX_VALUE;
      this.sliceNanos = 1;
      this.depositMillitokens = 0;
      this.window = Duration.ZERO;
      this.minRetriesPerSecond = Integer.MAX_VALUE;
      return;
    }
    this.ticker = b.ticker;
    this.ratio = b.ratio;
    this.window = b.window;
    this.minRetriesPerSecond = b.minRetriesPerSecond;
    this.reserveMillitokens = (long) (b.minRetriesPerSecond * (b.window.toNanos() / 1e9) * SCALE);
    this.sliceNanos = Math.max(1, b.window.toNanos() / SLICES);
    this.depositMillitokens = Math.round(b.ratio * SCALE);
    this.currentSlice = Math.floorDiv(ticker.nanos(), sliceNanos);
  }

  /** A budget that never refuses a retry. */
  public static RetryBudget unlimited() {
    return UNLIMITED;
  }

  /** A builder with the defaults from the class documentation. */
  public static Builder builder() {
    return new Builder();
  }

  /** Records one logical call (not a retry). */
  public void onCall() {
    if (this == UNLIMITED) {
      return;
    }
    synchronized (this) {
      advance();
      slices[Math.floorMod(currentSlice, SLICES)] += depositMillitokens;
    }
  }

  /**
   * Withdraws one retry if the budget allows it.
   *
   * @return {@code true} if the retry may go ahead; {@code false} counts a rejection
   */
  public boolean tryRetry() {
    if (this == UNLIMITED) {
      return true;
    }
    synchronized (this) {
      advance();
      long balance = reserveMillitokens;
      for (long s : slices) {
        balance += s;
      }
      if (balance >= SCALE) {
        slices[Math.floorMod(currentSlice, SLICES)] -= SCALE;
        return true;
      }
    }
    rejections.incrementAndGet();
    return false;
  }

  /** Retries refused so far. */
  public long rejections() {
    return rejections.get();
  }

  /** The share of calls that may be retried. */
  public double ratio() {
    return ratio;
  }

  /** The floor of retries per second allowed regardless of traffic. */
  public int minRetriesPerSecond() {
    return minRetriesPerSecond;
  }

  /** How long deposits and withdrawals count. */
  public Duration window() {
    return window;
  }

  /** Whether this is {@link #unlimited()}. */
  public boolean isUnlimited() {
    return this == UNLIMITED;
  }

  /** Clears the slices that have fallen out of the window. */
  @GuardedBy("this")
  private void advance() {
    long now = Math.floorDiv(ticker.nanos(), sliceNanos);
    long steps = now - currentSlice;
    if (steps <= 0) {
      return;
    }
    for (long i = 1; i <= Math.min(steps, SLICES); i++) {
      slices[Math.floorMod(currentSlice + i, SLICES)] = 0;
    }
    currentSlice = now;
  }

  @Override
  public String toString() {
    return isUnlimited()
        ? "RetryBudget{unlimited}"
        : "RetryBudget{ratio="
            + ratio
            + ", minRetriesPerSecond="
            + minRetriesPerSecond
            + ", window="
            + window
            + "}";
  }

  /** Builds a {@link RetryBudget}. Not thread-safe. */
  public static final class Builder {
    private double ratio = 0.2;
    private int minRetriesPerSecond = 10;
    private Duration window = Duration.ofSeconds(10);
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /**
     * The share of calls that may be retried. Default 0.2.
     *
     * @throws IllegalArgumentException if not within {@code [0, 1]}
     */
    public Builder ratio(double ratio) {
      this.ratio = Check.inRange("ratio", ratio, 0, 1);
      return this;
    }

    /**
     * Retries per second allowed even without traffic. Default 10.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder minRetriesPerSecond(int minRetriesPerSecond) {
      this.minRetriesPerSecond = Check.atLeast("minRetriesPerSecond", minRetriesPerSecond, 0);
      return this;
    }

    /**
     * How long deposits and withdrawals count. Default 10 s.
     *
     * @throws IllegalArgumentException if not within {@code [1 s, 1 h]}
     */
    public Builder window(Duration window) {
      this.window = Check.inRange("window", window, Duration.ofSeconds(1), Duration.ofHours(1));
      return this;
    }

    /** The time source. Default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Returns a new, empty budget. */
    public RetryBudget build() {
      return new RetryBudget(this);
    }
  }
}
