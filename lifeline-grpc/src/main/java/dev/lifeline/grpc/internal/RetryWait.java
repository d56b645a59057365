package dev.lifeline.grpc.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The wait between two attempts of one {@link EngineCall}: the backoff timer and, for a group call,
 * the group's wake-up when another call finds the active member. Whoever ends the wait first
 * (timer, wake-up, cancel) starts what follows; the others find the wait's token gone.
 *
 * <p>Thread-safe: its state changes only under {@code lock}, the owning {@code EngineCall}'s lock.
 * Each method takes it (the call usually holds it already, so that a wait's start or end is atomic
 * with the call's own state), except where it says it must be called without it.
 */
final class RetryWait {

  private final Object lock;
  private final ScheduledExecutorService scheduler;
  private final CallHandle handle;
  private final Runnable startAttempt;
  private final BooleanSupplier closed;

  /** The scheduled attempt, if any. */
  @GuardedBy("lock")
  private @Nullable Future<?> pending;

  /** Identity of the current wait; whoever clears it starts what follows. */
  @GuardedBy("lock")
  private @Nullable Object token;

  /**
   * @param closed whether the call is over; called with {@code lock} held
   */
  RetryWait(
      Object lock,
      ScheduledExecutorService scheduler,
      CallHandle handle,
      Runnable startAttempt,
      BooleanSupplier closed) {
    this.lock = lock;
    this.scheduler = scheduler;
    this.handle = handle;
    this.startAttempt = startAttempt;
    this.closed = closed;
  }

  /** An attempt starts: the wait that led to it is over. */
  void attemptStarting() {
    synchronized (lock) {
      pending = null;
      token = null;
    }
  }

  /** Ends the current wait, if any: no timer and no wake-up will act on it. */
  void clear() {
    synchronized (lock) {
      if (pending != null) {
        pending.cancel(false);
        pending = null;
      }
      if (token != null) {
        token = null;
        GroupRoute route = handle.route();
        if (route != null) {
          route.stopWaiting();
        }
      }
    }
  }

  /**
   * Schedules the next attempt after {@code delay}; returns the wait's token, or {@code null} if
   * the scheduler refused.
   */
  @Nullable Object schedule(Duration delay) {
    Object t = new Object();
    Runnable fire =
        () -> {
          synchronized (lock) {
            if (token != t) {
              return;
            }
            GroupRoute route = handle.route();
            if (route != null) {
              route.stopWaiting();
            }
          }
          startAttempt.run();
        };
    synchronized (lock) {
      token = t;
      try {
        pending = submit(fire, delay.toNanos());
      } catch (RejectedExecutionException e) {
        token = null;
        return null;
      }
    }
    return t;
  }

  /**
   * While a group call waits out a backoff, the group may wake it. Called without the lock: the
   * route may wake the call at once, on this thread, if the group changed since the attempt ended.
   */
  void awaitGroupChange(Object t) {
    GroupRoute route = handle.route();
    if (route != null) {
      route.awaitChange(() -> wake(t, false), () -> wake(t, true));
    }
  }

  /**
   * Another call found the active member (or members arrived): retry now, not after the wait. When
   * the group channel closed, its scheduler is going away, so the attempt (which will fail at once,
   * locally) is made on this thread.
   */
  private void wake(Object t, boolean closing) {
    synchronized (lock) {
      if (token != t || closed.getAsBoolean()) {
        return;
      }
      if (pending != null) {
        pending.cancel(false);
        pending = null;
      }
      token = null;
      if (!closing) {
        try {
          pending = submit(startAttempt, 0);
          return;
        } catch (RejectedExecutionException e) {
          // The scheduler is shut down: make the attempt here instead.
        }
      }
    }
    startAttempt.run();
  }

  /** Runs {@code task} on the call's scheduler, at once or after {@code delayNanos}. */
  Future<?> submit(Runnable task, long delayNanos) {
    return delayNanos <= 0
        ? scheduler.submit(task)
        : scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
  }
}
