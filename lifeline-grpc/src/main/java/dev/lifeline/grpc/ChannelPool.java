package dev.lifeline.grpc;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.Ticker;
import dev.lifeline.grpc.internal.ManagedTarget;
import dev.lifeline.grpc.internal.Targets;
import io.grpc.ClientInterceptor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A pool of managed gRPC channels keyed by target plus {@link ChannelOptions}. Any number of
 * clients leasing the same target with equal options share one channel; leases are
 * reference-counted, and the last release closes the channel after its in-flight calls drain.
 *
 * <pre>{@code
 * ChannelPool pool = ChannelPool.builder().meterRegistry(registry).build();
 * try (LifelineChannel channel = pool.lease("master-data:50051")) {
 *   ItemDetail item = ItemServiceGrpc.newBlockingStub(channel).getItemDetail(request);
 * }
 * }</pre>
 *
 * <p>Building the pool and taking a lease open nothing; the first call connects. Interceptors given
 * to {@link #lease(String, ChannelOptions, List)} belong to the lease, not to the key: leases with
 * different interceptors still share one channel. After the last lease is released the channel
 * lingers for {@link ChannelOptions#linger()} (60 s by default), so code that leases per request
 * reuses one channel.
 *
 * <p>Channels use TLS unless the {@link Builder#builderFactory} says otherwise; a pool built for
 * {@link Builder#production production} refuses a plaintext target unless its factory was forced
 * ({@link ChannelBuilderFactory#plaintextEvenInProduction()}).
 *
 * <p>Meters (tag {@code target}), registered with the target and removed when it closes: {@code
 * lifeline.channel.creations}, {@code lifeline.channel.rebuilds} (tag {@code reason}: shutdown,
 * stuck_ready, manual), {@code lifeline.channel.backoff.resets}, {@code lifeline.channel.state}
 * (tag {@code state}, 1 for the current state, else 0) and {@code lifeline.channel.leases}.
 *
 * <p>Thread-safe.
 */
public final class ChannelPool implements AutoCloseable {

  private final Object lock = new Object();

  @GuardedBy("lock")
  private final Map<Key, ManagedTarget> entries = new HashMap<>();

  @GuardedBy("lock")
  private boolean closed;

  @GuardedBy("lock")
  private @Nullable Thread shutdownHook;

  private final ManagedTarget.Environment environment;
  private final @Nullable ScheduledExecutorService ownedScheduler;
  private final boolean production;

  private ChannelPool(Builder b) {
    ScheduledExecutorService scheduler = b.scheduler;
    if (scheduler == null) {
      ownedScheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "lifeline-channel-pool");
                t.setDaemon(true);
                return t;
              });
      scheduler = ownedScheduler;
    } else {
      ownedScheduler = null;
    }
    this.environment =
        new ManagedTarget.Environment(
            b.builderFactory, scheduler, b.ticker, b.random, b.meterRegistry);
    this.production = b.production;
  }

  /** A pool with TLS channels, no metrics export and its own scheduler thread. */
  public static ChannelPool create() {
    return builder().build();
  }

  /** A builder with the defaults described on each setter. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Leases the channel for {@code target} with {@link ChannelOptions#defaults()}.
   *
   * @throws IllegalArgumentException if the target string is invalid (the message names it)
   * @throws IllegalStateException if the pool is closed
   */
  public LifelineChannel lease(String target) {
    return lease(target, ChannelOptions.defaults(), List.of());
  }

  /**
   * Leases the channel for {@code target} and {@code options}.
   *
   * @throws IllegalArgumentException if the target string is invalid (the message names it)
   * @throws IllegalStateException if the pool is closed
   */
  public LifelineChannel lease(String target, ChannelOptions options) {
    return lease(target, options, List.of());
  }

  /**
   * Leases the channel for {@code target} and {@code options}, with {@code interceptors} layered on
   * this lease only (the first in the list runs first). Interceptors are not part of the pool key:
   * a lease with interceptors shares the channel of one without.
   *
   * @throws IllegalArgumentException if the target string is invalid (the message names it)
   * @throws IllegalStateException if the pool is closed, or if it is built for production and its
   *     channels would be plaintext without having been forced
   */
  public LifelineChannel lease(
      String target, ChannelOptions options, List<ClientInterceptor> interceptors) {
    Targets.validate(target);
    Objects.requireNonNull(options, "options");
    List<ClientInterceptor> copy = List.copyOf(interceptors);
    ChannelBuilderFactory factory = environment.builderFactory();
    if (production && factory.isPlaintext() && !factory.isPlaintextAllowedInProduction()) {
      throw new IllegalStateException(
          "target: "
              + target
              + " would be reached over plaintext in production (expected: TLS, or"
              + " ChannelBuilderFactory.plaintextEvenInProduction() for a local sidecar)");
    }
    Key key = new Key(target, options);
    ManagedTarget managed;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("channel pool is closed (target " + target + ")");
      }
      managed = entries.get(key);
      if (managed == null) {
        managed = new ManagedTarget(target, options, environment);
        entries.put(key, managed);
      }
      managed.acquire();
    }
    return new LifelineChannel(managed, this, copy);
  }

  /** Number of pool entries (one channel each) currently leased. */
  public int size() {
    synchronized (lock) {
      return entries.size();
    }
  }

  /**
   * Registers a JVM shutdown hook that closes this pool; optional, never done implicitly. Closing
   * the pool removes the hook.
   *
   * @return this pool
   */
  public ChannelPool registerShutdownHook() {
    synchronized (lock) {
      if (shutdownHook == null && !closed) {
        shutdownHook = new Thread(this::close, "lifeline-channel-pool-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
      }
    }
    return this;
  }

  void release(ManagedTarget managed) {
    synchronized (lock) {
      if (!managed.releaseLease() || closed) {
        return;
      }
      Duration linger = managed.options().linger();
      if (linger.isZero()) {
        expire(managed);
        return;
      }
      try {
        managed.lingering(
            environment
                .scheduler()
                .schedule(
                    () -> {
                      synchronized (lock) {
                        if (managed.unleased() && !closed) {
                          expire(managed);
                        }
                      }
                    },
                    linger.toNanos(),
                    TimeUnit.NANOSECONDS));
      } catch (RejectedExecutionException e) {
        expire(managed);
      }
    }
  }

  /**
   * Closes an entry nobody leases. Under the lock so that a new entry for the same key cannot
   * register its meters before this one has removed its own (they share names and tags). Closing
   * does not block.
   */
  @GuardedBy("lock")
  private void expire(ManagedTarget managed) {
    entries.remove(new Key(managed.target(), managed.options()), managed);
    managed.closeGracefully();
  }

  /**
   * Closes every channel, lingering ones included: new calls fail at once, in-flight calls drain
   * for at most the largest {@link ChannelOptions#shutdownGrace()} of the pooled channels, then
   * whatever is left is cancelled, including channels released earlier that were still draining.
   * Blocks at most that long; idempotent.
   */
  @Override
  public void close() {
    List<ManagedTarget> toClose;
    @Nullable Thread hook;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = new ArrayList<>(entries.values());
      entries.clear();
      hook = shutdownHook;
      shutdownHook = null;
    }
    if (hook != null && hook != Thread.currentThread()) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException alreadyShuttingDown) {
        // The JVM is exiting and runs the hook itself; nothing to remove.
      }
    }
    Duration grace = Duration.ZERO;
    for (ManagedTarget managed : toClose) {
      managed.beginShutdown();
      if (managed.options().shutdownGrace().compareTo(grace) > 0) {
        grace = managed.options().shutdownGrace();
      }
    }
    long deadline = System.nanoTime() + grace.toNanos();
    boolean interrupted = false;
    for (ManagedTarget managed : toClose) {
      try {
        managed.awaitTermination(Math.max(0, deadline - System.nanoTime()));
      } catch (InterruptedException e) {
        interrupted = true;
      }
      managed.forceShutdown();
    }
    environment.forceDraining();
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class Key {
    final String target;
    final ChannelOptions options;

    Key(String target, ChannelOptions options) {
      this.target = target;
      this.options = options;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Key key && key.target.equals(target) && key.options.equals(options);
    }

    @Override
    public int hashCode() {
      return target.hashCode() * 31 + options.hashCode();
    }
  }

  /** Builds a {@link ChannelPool}. Mutable and not thread-safe. */
  public static final class Builder {
    private ChannelBuilderFactory builderFactory = ChannelBuilderFactory.tls();
    private boolean production;
    private @Nullable ScheduledExecutorService scheduler;
    private Ticker ticker = Ticker.system();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private MeterRegistry meterRegistry = new CompositeMeterRegistry();

    private Builder() {}

    /** How channels are created; default {@link ChannelBuilderFactory#tls()}. */
    public Builder builderFactory(ChannelBuilderFactory value) {
      this.builderFactory = Objects.requireNonNull(value, "builderFactory");
      return this;
    }

    /**
     * Whether the pool serves production traffic: it then refuses plaintext targets unless the
     * factory was {@linkplain ChannelBuilderFactory#plaintextEvenInProduction() forced}. Default
     * {@code false}.
     */
    public Builder production(boolean value) {
      this.production = value;
      return this;
    }

    /**
     * Runs reconnect-backoff resets and forced shutdowns after the grace time. Default: a daemon
     * thread owned by the pool and stopped by {@link #close()}. An injected scheduler is not shut
     * down by the pool.
     */
    public Builder scheduler(ScheduledExecutorService value) {
      this.scheduler = Objects.requireNonNull(value, "scheduler");
      return this;
    }

    /** Measures outage durations for logs; default {@link Ticker#system()}. */
    public Builder ticker(Ticker value) {
      this.ticker = Objects.requireNonNull(value, "ticker");
      return this;
    }

    /**
     * Source of uniform doubles in [0, 1) for reconnect jitter; default {@link ThreadLocalRandom}.
     * Must be thread-safe.
     */
    public Builder random(DoubleSupplier value) {
      this.random = Objects.requireNonNull(value, "random");
      return this;
    }

    /** Where the pool's meters go; default an empty composite registry (no export). */
    public Builder meterRegistry(MeterRegistry value) {
      this.meterRegistry = Objects.requireNonNull(value, "meterRegistry");
      return this;
    }

    /** Builds the pool; opens nothing. */
    public ChannelPool build() {
      return new ChannelPool(this);
    }
  }
}
