package dev.lifeline.grpc.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.grpc.ChannelOptions;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.Counter;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation of one of a {@link ManagedTarget}'s channels, with its reconnect driver: while
 * calls wait for the channel to leave TRANSIENT_FAILURE it skips grpc's reconnect backoff on
 * Lifeline's own schedule, one reset loop per channel whatever the call rate.
 *
 * <p>Thread-safe. The counters are atomics; the driver's state changes only under this slot's
 * monitor.
 */
final class ChannelSlot {

  // The target's logger: operators filter channel logs by ManagedTarget, as before the split.
  private static final Logger log = LoggerFactory.getLogger(ManagedTarget.class);

  final ManagedChannel channel;
  final long generation;
  final int index;
  final AtomicInteger consecutiveFailures = new AtomicInteger();
  final AtomicInteger inFlight = new AtomicInteger();

  /** Calls started while the channel was in TRANSIENT_FAILURE and not closed yet. */
  final AtomicInteger waiting = new AtomicInteger();

  private final String target;
  private final ChannelOptions options;
  private final ManagedTarget.Environment env;
  private final Counter resets;

  @GuardedBy("this")
  private @Nullable ScheduledFuture<?> pendingReset;

  @GuardedBy("this")
  private int resetAttempt;

  @GuardedBy("this")
  private boolean stopped;

  @GuardedBy("this")
  private ConnectivityState lastState = ConnectivityState.IDLE;

  /** Ticker reading when TRANSIENT_FAILURE began, or -1. */
  @GuardedBy("this")
  private long failingSince = -1;

  /** Ticker reading of the last backoff reset. */
  @GuardedBy("this")
  private long lastReset = Long.MIN_VALUE;

  ChannelSlot(
      ManagedChannel channel,
      long generation,
      int index,
      String target,
      ChannelOptions options,
      ManagedTarget.Environment env,
      Counter resets) {
    this.channel = channel;
    this.generation = generation;
    this.index = index;
    this.target = target;
    this.options = options;
    this.env = env;
    this.resets = resets;
  }

  /** Re-registers on every change: grpc's notifyWhenStateChanged fires only once. */
  void watch(ConnectivityState source) {
    channel.notifyWhenStateChanged(source, this::onStateChanged);
  }

  private void onStateChanged() {
    ConnectivityState now = channel.getState(false);
    ConnectivityState before;
    long downNanos = -1;
    boolean keepResetting;
    synchronized (this) {
      before = lastState;
      lastState = now;
      if (now == ConnectivityState.TRANSIENT_FAILURE && failingSince < 0) {
        failingSince = env.ticker.nanos();
      } else if (now == ConnectivityState.READY) {
        if (failingSince >= 0) {
          downNanos = env.ticker.nanos() - failingSince;
        }
        failingSince = -1;
        resetAttempt = 0;
        cancelPending();
      }
      keepResetting = now == ConnectivityState.TRANSIENT_FAILURE && hasDemand();
    }
    logTransition(before, now, downNanos);
    if (keepResetting) {
      scheduleReset();
    }
    if (now != ConnectivityState.SHUTDOWN) {
      watch(now);
    }
  }

  private void logTransition(ConnectivityState before, ConnectivityState now, long downNanos) {
    if (before == now) {
      return;
    }
    if (now == ConnectivityState.TRANSIENT_FAILURE) {
      log.atWarn()
          .addKeyValue("target", target)
          .addKeyValue("generation", generation)
          .addKeyValue("from", before)
          .addKeyValue("to", now)
          .log("gRPC channel cannot connect; calls that wait for it reconnect it");
    } else if (now == ConnectivityState.READY && downNanos >= 0) {
      log.atInfo()
          .addKeyValue("target", target)
          .addKeyValue("generation", generation)
          .addKeyValue("from", before)
          .addKeyValue("to", now)
          .addKeyValue("downMillis", TimeUnit.NANOSECONDS.toMillis(downNanos))
          .log("gRPC channel recovered");
    } else {
      log.atDebug()
          .addKeyValue("target", target)
          .addKeyValue("generation", generation)
          .addKeyValue("from", before)
          .addKeyValue("to", now)
          .log("gRPC channel state changed");
    }
  }

  private boolean hasDemand() {
    return waiting.get() > 0;
  }

  /**
   * A call waits for this channel to reconnect: skip grpc's backoff now (at most once per the
   * schedule's initial delay, the cap on connection attempts) and keep doing so on Lifeline's
   * schedule while calls keep waiting. One reset loop per channel, whatever the call rate.
   */
  void demand() {
    boolean resetNow;
    synchronized (this) {
      if (stopped) {
        return;
      }
      long now = env.ticker.nanos();
      resetNow =
          ChannelDecisions.resetNow(lastReset, now, options.reconnectBackoff().initial().toNanos());
      if (resetNow) {
        lastReset = now;
      }
    }
    if (resetNow) {
      reset();
    }
    scheduleReset();
  }

  private void reset() {
    channel.resetConnectBackoff();
    resets.increment();
    log.atDebug()
        .addKeyValue("target", target)
        .addKeyValue("generation", generation)
        .log("reset gRPC connect backoff");
  }

  void scheduleReset() {
    synchronized (this) {
      if (stopped || pendingReset != null) {
        return;
      }
      long delay =
          options.reconnectBackoff().delay(Math.min(++resetAttempt, 1_000), env.random).toNanos();
      try {
        pendingReset = env.scheduler.schedule(this::resetTick, delay, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        stopped = true;
      }
    }
  }

  private void resetTick() {
    synchronized (this) {
      pendingReset = null;
      if (stopped || !hasDemand()) {
        // Nobody waits: grpc's own backoff (1 s growing to 120 s) takes over.
        return;
      }
      lastReset = env.ticker.nanos();
    }
    if (channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
      return;
    }
    reset();
    // grpc may keep reporting TRANSIENT_FAILURE while it retries, so no state change would
    // wake us: keep the schedule going while calls wait.
    scheduleReset();
  }

  void stopWatching() {
    synchronized (this) {
      stopped = true;
      cancelPending();
    }
  }

  /** Shuts the channel down once its calls drain, forced after the grace time. */
  void drain() {
    stopWatching();
    env.draining.add(channel);
    channel.shutdown();
    try {
      ScheduledFuture<?> unused =
          env.scheduler.schedule(
              () -> {
                if (!channel.isTerminated()) {
                  log.atWarn()
                      .addKeyValue("target", target)
                      .addKeyValue("generation", generation)
                      .addKeyValue("graceMillis", options.shutdownGrace().toMillis())
                      .log("in-flight calls did not drain within the grace time; cancelling them");
                  channel.shutdownNow();
                }
                env.draining.remove(channel);
              },
              options.shutdownGrace().toNanos(),
              TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      channel.shutdownNow();
      env.draining.remove(channel);
    }
  }

  @GuardedBy("this")
  private void cancelPending() {
    if (pendingReset != null) {
      pendingReset.cancel(false);
      pendingReset = null;
    }
  }
}
