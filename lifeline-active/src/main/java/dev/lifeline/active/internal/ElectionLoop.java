package dev.lifeline.active.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.active.Acquisition;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.core.Ticker;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The election loop of one member: the part that talks to the store. One "tick" at a time
 * (serialized by {@link #tickLock}) renews the held lease while a tenure runs, or tries to acquire
 * it on a member that is not closing; the watch reports foreign writes and deletes in between. What
 * the answers mean is decided by {@link ElectionRules} and applied by {@link ElectionState}; this
 * class schedules the next tick, backs off while the store is unreachable and logs.
 *
 * <p>Thread-safe: its own state changes only under the member's lock. Nothing a store or a listener
 * throws ends the loop.
 */
final class ElectionLoop {

  // The member's logger: operators configure one category for the whole member.
  private static final Logger log = LoggerFactory.getLogger(DefaultActiveMember.class);

  private final GroupId group;
  private final LeaseHolder holder;
  private final LeaseStore store;
  private final ActiveOptions opts;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final Object lock;
  private final ElectionState state;
  private final MemberMetrics metrics;
  private final ReentrantLock tickLock = new ReentrantLock();
  private final AtomicBoolean tickAgain = new AtomicBoolean();

  @GuardedBy("lock")
  private @Nullable Future<?> nextTick;

  @GuardedBy("lock")
  private boolean loopStopped;

  @GuardedBy("lock")
  private @Nullable AutoCloseable watch;

  @GuardedBy("lock")
  private int consecutiveErrors;

  ElectionLoop(
      GroupId group,
      LeaseHolder holder,
      LeaseStore store,
      ActiveOptions opts,
      Ticker ticker,
      ScheduledExecutorService scheduler,
      Object lock,
      ElectionState state,
      MemberMetrics metrics) {
    this.group = group;
    this.holder = holder;
    this.store = store;
    this.opts = opts;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.lock = lock;
    this.state = state;
    this.metrics = metrics;
  }

  /**
   * Starts the loop: the first tick runs at once.
   *
   * @return false if it started or began closing before
   */
  boolean start() {
    synchronized (lock) {
      if (!state.markStarted()) {
        return false;
      }
      scheduleTick(0);
      return true;
    }
  }

  /** See {@link dev.lifeline.active.ActiveMember#fencedOut}. */
  void fencedOut(long downstreamToken) {
    store.tokenSeenDownstream(group, downstreamToken);
    if (state.fencedOutBy(downstreamToken)) {
      state.endTenure(
          "a downstream system already accepted fencing token "
              + downstreamToken
              + ", at or above this tenure's (the store lost acknowledged writes)",
          // Dropped, not renewed: a renewal keeps the token; a new acquisition gets one above.
          true);
      synchronized (lock) {
        if (state.mayCompete()) {
          scheduleTick(0);
        }
      }
    }
  }

  /** Stops scheduling ticks; a tick already running completes. */
  void stop() {
    synchronized (lock) {
      loopStopped = true;
      Future<?> next = nextTick;
      if (next != null) {
        next.cancel(false);
      }
    }
  }

  /**
   * Waits for a running tick, whose renewal may replace the lease that has to be released, then
   * forgets the held lease.
   *
   * @return the lease to release, if {@code drained}
   */
  @Nullable Lease takeHeldWhenIdle(boolean drained) {
    tickLock.lock();
    try {
      return state.takeHeld(drained);
    } finally {
      tickLock.unlock();
    }
  }

  /** Marks the member finished and stops the watch. */
  void finish() {
    AutoCloseable w;
    synchronized (lock) {
      state.finish();
      w = watch;
      watch = null;
    }
    state.heldCalls().settle();
    if (w != null) {
      closeQuietly(w);
    }
  }

  @GuardedBy("lock")
  private void scheduleTick(long delayNanos) {
    if (loopStopped) {
      return;
    }
    Future<?> previous = nextTick;
    if (previous != null) {
      previous.cancel(false);
    }
    try {
      nextTick = scheduler.schedule(this::tick, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // Someone shut the scheduler down under the member: nothing can run the loop any more.
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .log("scheduler rejected the election loop; the member stays as it is");
    }
  }

  private void tick() {
    if (!tickLock.tryLock()) {
      tickAgain.set(true);
      return;
    }
    long delay = opts.heartbeat().toNanos();
    try {
      tickAgain.set(false);
      Lease mine;
      boolean isClosing;
      synchronized (lock) {
        if (loopStopped) {
          return;
        }
        mine = state.leaseToRenew();
        isClosing = state.closing();
      }
      ensureWatch();
      if (mine != null) {
        delay = renew(mine);
      } else if (!isClosing) {
        delay = acquire();
      }
    } catch (Throwable t) {
      // Nothing a store or a listener throws may end the loop, an Error included: the original's
      // monitor died on its first exception and left the group without an active for good.
      log.atError()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .setCause(t)
          .log("unexpected error in the election loop; continuing");
      state.checkDeadline();
    } finally {
      tickLock.unlock();
      synchronized (lock) {
        scheduleTick(tickAgain.getAndSet(false) ? 0 : delay);
      }
    }
  }

  private void ensureWatch() {
    synchronized (lock) {
      if (watch != null) {
        return;
      }
    }
    AutoCloseable w;
    try {
      w = store.watch(group, this::onWatch);
    } catch (RuntimeException e) {
      // Polling still works without the watch; the next tick tries again.
      log.atDebug().addKeyValue("group", group).setCause(e).log("watch not set up yet");
      return;
    }
    boolean closeNow;
    synchronized (lock) {
      closeNow = state.finished();
      if (!closeNow) {
        watch = w;
      }
    }
    if (closeNow) {
      closeQuietly(w);
    }
  }

  private void onWatch(LeaseEvent event) {
    ElectionRules.Foreign outcome = state.onWatch(event);
    if (outcome == null) {
      return;
    }
    switch (outcome) {
      case LOSES_LEASE -> {
        Lease lease = event.lease().orElse(null);
        state.endTenure(
            lease == null
                ? "the lease was deleted at the store"
                : "another holder wrote the lease (" + describe(lease.holder()) + ")",
            true);
      }
      case COMPETE_NOW -> {
        synchronized (lock) {
          scheduleTick(0);
        }
      }
      case NOTHING -> {}
    }
    state.heldCalls().settle();
  }

  private String describe(LeaseHolder h) {
    if (h == LeaseHolder.UNREADABLE) {
      return "an unreadable value";
    }
    return h.id().equals(holder.id())
        ? "same id " + h.id() + ", another incarnation " + h.incarnation()
        : "member " + h.id();
  }

  private void storeAnswered() {
    synchronized (lock) {
      consecutiveErrors = 0;
    }
  }

  private long acquire() {
    long start = ticker.nanos();
    Acquisition result;
    try {
      result = store.acquire(group, holder, opts.ttl());
    } catch (RuntimeException e) {
      return onStoreError("acquire", e);
    }
    storeAnswered();
    ElectionState.AfterAcquire after = state.acquired(result, start);
    switch (after.outcome()) {
      case SUPERSEDED ->
          log.atWarn()
              .addKeyValue("group", group)
              .addKeyValue("member", holder.id())
              .addKeyValue("won", result.current().orElseThrow().revision())
              .addKeyValue("later", state.latestForeignRevision())
              .log(
                  "the store accepted this member's acquire, but the watch had already shown a"
                      + " later write by another holder; staying STANDBY (a store that lets two"
                      + " compare-and-set writes win, e.g. nats-server before 2.9.21)");
      case BOGUS_WIN ->
          log.atError()
              .addKeyValue("group", group)
              .addKeyValue("member", holder.id())
              .addKeyValue("lease", result.current().orElseThrow())
              .log("the store reported a win for another holder; ignoring it");
      case RELEASE -> release(result.current().orElseThrow());
      case ACTIVE ->
          log.atInfo()
              .addKeyValue("group", group)
              .addKeyValue("member", holder.id())
              .addKeyValue("token", result.current().orElseThrow().token())
              .log("became ACTIVE");
      case TOO_LATE ->
          log.atWarn()
              .addKeyValue("group", group)
              .addKeyValue("member", holder.id())
              .log("acquired the lease too late to use it; acquiring it again before serving");
      case LOST -> {}
    }
    return after.nextNanos();
  }

  private long renew(Lease mine) {
    long start = ticker.nanos();
    Optional<Lease> result;
    try {
      result = store.renew(mine);
    } catch (RuntimeException e) {
      metrics.renewFailed();
      onStoreError("renew", e);
      state.checkDeadline();
      return ElectionRules.afterRenewError(opts.heartbeat().toNanos());
    }
    storeAnswered();
    return switch (state.renewed(mine, result, start)) {
      case LOST -> {
        state.endTenure("lease lost: another write or a delete at the store", false);
        yield 0;
      }
      case TOO_LATE -> {
        state.endTenure("renewal answered after the local lease deadline", false);
        yield 0;
      }
      case OVERTAKEN, EXTENDED, KEPT -> opts.heartbeat().toNanos();
    };
  }

  private long onStoreError(String op, RuntimeException e) {
    int n;
    synchronized (lock) {
      n = ++consecutiveErrors;
    }
    metrics.storeError();
    long delay =
        ElectionRules.storeBackoff(n, opts.heartbeat().toNanos(), opts.maxStoreBackoff().toNanos());
    log.atWarn()
        .addKeyValue("group", group)
        .addKeyValue("member", holder.id())
        .addKeyValue("operation", op)
        .addKeyValue("consecutiveErrors", n)
        .addKeyValue("retryInMs", TimeUnit.NANOSECONDS.toMillis(delay))
        .addKeyValue("role", state.role())
        .addKeyValue("error", String.valueOf(e.getMessage()))
        .log("lease store unreachable; retrying (a standby stays STANDBY until it holds a lease)");
    return delay;
  }

  /** Releases {@code lease}, logging instead of throwing. */
  void release(Lease lease) {
    try {
      boolean released = store.release(lease);
      log.atInfo()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .addKeyValue("released", released)
          .log("lease released");
    } catch (RuntimeException e) {
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .addKeyValue("error", String.valueOf(e.getMessage()))
          .log("could not release the lease; it will expire after its TTL");
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.atDebug().setCause(e).log("closing a watch failed");
    }
  }
}
