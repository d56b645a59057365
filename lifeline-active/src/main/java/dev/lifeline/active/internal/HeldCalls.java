package dev.lifeline.active.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.core.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The exclusive calls a member holds through an election ({@link ActiveMember#awaitLeader}): each
 * waits until the election settles or its own wait runs out. Shares the member's lock, so that a
 * call is either settled at once or registered before the election can change.
 *
 * <p>Thread-safe.
 */
final class HeldCalls {

  /**
   * What decides whether a held call is worth answering, read under the member's lock.
   *
   * @param finished whether the member has finished closing
   * @param active whether the member is active now
   * @param renewalPending whether the member's tenure lapsed while a renewal may still restore it
   * @param expiryNanos when the observed foreign lease expires at the latest; empty if none
   */
  record Outlook(
      boolean finished, boolean active, boolean renewalPending, OptionalLong expiryNanos) {}

  private record Waiter(CompletableFuture<Void> done, long untilNanos, long windowNanos) {}

  private final Object lock;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final ActiveOptions opts;

  /** Reads the outlook; takes the member's lock, which its callers here already hold. */
  private final Supplier<Outlook> outlook;

  @GuardedBy("lock")
  private final List<Waiter> waiters = new ArrayList<>();

  HeldCalls(
      Object lock,
      Ticker ticker,
      ScheduledExecutorService scheduler,
      ActiveOptions opts,
      Supplier<Outlook> outlook) {
    this.lock = lock;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.opts = opts;
    this.outlook = outlook;
  }

  /**
   * Whether a call that cannot be served is worth answering now, rather than held because an
   * election is under way: not while nobody holds the lease (released, or expired and being taken
   * over), nor while this member's renewal is pending, nor while the observed lease runs out within
   * {@code windowNanos}.
   */
  static boolean settled(Outlook o, long nowNanos, long windowNanos) {
    if (o.finished() || o.active()) {
      return true;
    }
    if (o.renewalPending() || o.expiryNanos().isEmpty()) {
      return false;
    }
    return o.expiryNanos().getAsLong() - nowNanos > windowNanos;
  }

  /** Whether a call held until {@code untilNanos} is answered now. */
  static boolean answerable(long untilNanos, long windowNanos, Outlook o, long nowNanos) {
    return nowNanos - untilNanos >= 0 || settled(o, nowNanos, windowNanos);
  }

  /**
   * How close to its expiry the observed lease must be for a call to be held: at most the wait, and
   * at most half of {@code ttl - heartbeat}, so that calls are never held while a healthy active
   * keeps renewing.
   */
  static long window(long waitNanos, long ttlNanos, long heartbeatNanos) {
    return Math.min(waitNanos, (ttlNanos - heartbeatNanos) / 2);
  }

  /** See {@link ActiveMember#awaitLeader}. */
  CompletionStage<Void> await(Duration maxWait) {
    long wait = maxWait.isNegative() ? 0 : maxWait.toNanos();
    long window = window(wait, opts.ttl().toNanos(), opts.heartbeat().toNanos());
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (lock) {
      if (wait == 0 || settled(outlook.get(), ticker.nanos(), window)) {
        done.complete(null);
        return done;
      }
      waiters.add(new Waiter(done, ticker.nanos() + wait, window));
    }
    try {
      ScheduledFuture<?> unused = scheduler.schedule(this::settle, wait, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The scheduler is gone (the member's process is going down): nothing would wake the call.
      done.complete(null);
    }
    return done;
  }

  /** Completes the held calls whose election settled or whose wait ran out. */
  void settle() {
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    synchronized (lock) {
      if (waiters.isEmpty()) {
        return;
      }
      long now = ticker.nanos();
      Outlook o = outlook.get();
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (answerable(w.untilNanos(), w.windowNanos(), o, now)) {
          ready.add(w.done());
          it.remove();
        }
      }
      if (waiters.isEmpty()) {
        lock.notifyAll();
      }
    }
    // Outside the lock: completing runs the held calls' decisions.
    ready.forEach(f -> f.complete(null));
  }

  /**
   * Waits until the held calls are answered: the watch reports the successor and {@link #settle}
   * completes them, or their own waits run out. Real time, like the member's drain: a fake ticker
   * must not make close() wait forever.
   */
  void awaitAnswered() {
    synchronized (lock) {
      long longest = 0;
      long now = ticker.nanos();
      for (Waiter wt : waiters) {
        longest = Math.max(longest, wt.untilNanos() - now);
      }
      long end = System.nanoTime() + longest;
      while (!waiters.isEmpty()) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
