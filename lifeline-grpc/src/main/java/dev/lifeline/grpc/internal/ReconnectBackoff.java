package dev.lifeline.grpc.internal;

import dev.lifeline.grpc.ChannelOptions;
import java.util.function.DoubleSupplier;

/**
 * Lifeline's jittered exponential reconnect schedule: {@code initial * multiplier^attempt}, capped
 * at the maximum, then spread by plus or minus the jitter. Stateless and thread-safe if the random
 * source is.
 */
public final class ReconnectBackoff {

  private final long initialNanos;
  private final long maxNanos;
  private final double multiplier;
  private final double jitter;
  private final DoubleSupplier random;

  public ReconnectBackoff(ChannelOptions options, DoubleSupplier random) {
    this.initialNanos = options.reconnectBackoffInitial().toNanos();
    this.maxNanos = options.reconnectBackoffMax().toNanos();
    this.multiplier = options.reconnectBackoffMultiplier();
    this.jitter = options.reconnectBackoffJitter();
    this.random = random;
  }

  /** The delay before reset number {@code attempt} (0-based), in nanoseconds; always >= 1. */
  public long delayNanos(int attempt) {
    double base = initialNanos * Math.pow(multiplier, Math.min(attempt, 1_000));
    double capped = Math.min(base, maxNanos);
    double spread = capped * jitter * (random.getAsDouble() * 2 - 1);
    return Math.max(1, (long) (capped + spread));
  }
}
