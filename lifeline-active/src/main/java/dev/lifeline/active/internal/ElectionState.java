package dev.lifeline.active.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.active.Acquisition;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.GroupState;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import dev.lifeline.active.Role;
import dev.lifeline.core.Ticker;
import io.grpc.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one member knows and holds: its role, its tenure, its lease and the leases it saw, and the
 * transitions between them. The election loop feeds it the store's answers, which {@link
 * ElectionRules} interprets; this class applies the result under the member's lock and then tells
 * the role listeners and the held calls.
 *
 * <p>Safety: a tenure ends at {@code start of the last successful renew request + ttl -
 * safetyMargin}, checked on every call by {@link #isActive()}, by the permits of admitted calls and
 * by a scheduled step-down that also cancels the calls' contexts. A lease counts as this member's
 * only if this incarnation wrote it and the store reported the write as won.
 *
 * <p>Thread-safe: state changes happen under the member's lock; {@link #tenure()} and {@link
 * #closing()} are volatile copies read on every exclusive call without locking.
 */
final class ElectionState {

  // The member's logger: operators configure one category for the whole member.
  private static final Logger log = LoggerFactory.getLogger(DefaultActiveMember.class);

  /** How a close begins. */
  enum CloseStart {
    /** Another close began before: nothing to do. */
    ALREADY_CLOSING,
    /** The member never started: no calls can be held. */
    NOT_STARTED,
    /** The member ran. */
    STARTED
  }

  private final GroupId group;
  private final LeaseHolder holder;
  private final ActiveOptions opts;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final Object lock;
  private final MemberMetrics metrics;
  private final RoleEvents events;
  private final HeldCalls heldCalls;

  /**
   * The running tenure, or null. Volatile, not locked: every exclusive call and every permit check
   * reads it, and must not queue behind a renewal. Changes happen under {@link #lock} with the
   * role.
   */
  private volatile @Nullable Tenure tenure;

  /**
   * Set once a close begins: no more admissions. Volatile for the same reason as {@link #tenure};
   * set under {@link #lock}, so that an admission holding the lock sees it or precedes it.
   */
  private volatile boolean closing;

  @GuardedBy("lock")
  private Role role = Role.STANDBY;

  /** The lease this incarnation wrote and won, or null. */
  @GuardedBy("lock")
  private @Nullable Lease held;

  @GuardedBy("lock")
  private final ObservedLease observed = new ObservedLease();

  @GuardedBy("lock")
  private long lastFailoverNanos = -1;

  @GuardedBy("lock")
  private @Nullable Future<?> deadlineTask;

  @GuardedBy("lock")
  private boolean started;

  @GuardedBy("lock")
  private boolean finished;

  ElectionState(
      GroupId group,
      LeaseHolder holder,
      ActiveOptions opts,
      Ticker ticker,
      ScheduledExecutorService scheduler,
      Object lock,
      MemberMetrics metrics,
      RoleEvents events) {
    this.group = group;
    this.holder = holder;
    this.opts = opts;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.lock = lock;
    this.metrics = metrics;
    this.events = events;
    this.heldCalls = new HeldCalls(lock, ticker, scheduler, opts, this::outlook);
  }

  HeldCalls heldCalls() {
    return heldCalls;
  }

  @Nullable Tenure tenure() {
    return tenure;
  }

  boolean closing() {
    return closing;
  }

  /** See {@link dev.lifeline.active.ActiveMember#isActive()}. */
  boolean isActive() {
    return !closing && Tenure.running(tenure, ticker.nanos());
  }

  Role role() {
    synchronized (lock) {
      return role;
    }
  }

  /** Marks the member started, unless it was started or began closing before. */
  boolean markStarted() {
    synchronized (lock) {
      if (started || closing) {
        return false;
      }
      started = true;
      return true;
    }
  }

  boolean finished() {
    synchronized (lock) {
      return finished;
    }
  }

  /** Whether the loop should compete for the lease: neither closing nor closed. */
  boolean mayCompete() {
    synchronized (lock) {
      return !closing && !finished;
    }
  }

  /** The lease to renew now: the held one while a tenure runs, else null (acquire instead). */
  @Nullable Lease leaseToRenew() {
    synchronized (lock) {
      return tenure != null ? held : null;
    }
  }

  /** Whether a downstream system's token {@code downstreamToken} fences the running tenure out. */
  boolean fencedOutBy(long downstreamToken) {
    synchronized (lock) {
      Tenure t = tenure;
      return t != null && t.token() <= downstreamToken;
    }
  }

  long latestForeignRevision() {
    synchronized (lock) {
      LeaseEvent latest = observed.latestForeign();
      return latest == null ? 0 : latest.revision();
    }
  }

  /** See {@link dev.lifeline.active.ActiveMember#knownActive()}. */
  Optional<Lease> knownActive() {
    synchronized (lock) {
      Lease mine = held;
      if (role == Role.ACTIVE && mine != null) {
        return Optional.of(mine);
      }
      // An unreadable value names nobody to send clients to.
      return Optional.ofNullable(observed.lastSeen()).filter(Lease::readable);
    }
  }

  /** See {@link dev.lifeline.active.ActiveMember#state()}. */
  GroupState state(Clock clock) {
    synchronized (lock) {
      Optional<Lease> active =
          Optional.ofNullable(role == Role.ACTIVE ? held : observed.lastSeen());
      return new GroupState(
          group,
          holder.id(),
          role,
          active.filter(Lease::readable).map(Lease::holderId),
          active.map(Lease::holderAddress).filter(a -> !a.isEmpty()),
          active.map(Lease::token).orElse(0L),
          active
              .filter(Lease::readable)
              .map(l -> Duration.between(l.acquiredAt(), clock.instant())),
          lastFailoverNanos < 0
              ? Optional.empty()
              : Optional.of(Duration.ofNanos(lastFailoverNanos)),
          metrics.electionsWon(),
          metrics.electionsLost(),
          metrics.renewFailures(),
          metrics.stepDowns());
    }
  }

  private HeldCalls.Outlook outlook() {
    synchronized (lock) {
      return new HeldCalls.Outlook(
          finished, isActive(), role == Role.ACTIVE, observed.expectedExpiryNanos(opts.ttl()));
    }
  }

  @GuardedBy("lock")
  private long untilTakeover() {
    return ElectionRules.untilTakeover(
        opts.heartbeat().toNanos(), observed.expectedExpiryNanos(opts.ttl()), ticker.nanos());
  }

  @GuardedBy("lock")
  private void observe(Optional<Lease> current) {
    if (observed.observe(current, holder, ticker.nanos())) {
      metrics.electionLost();
    }
  }

  /** What an acquire's answer did, and when to try again. */
  record AfterAcquire(ElectionRules.Acquired outcome, long nextNanos) {}

  /** Applies the store's answer to an acquire requested at {@code startNanos}. */
  AfterAcquire acquired(Acquisition result, long startNanos) {
    long deadline = ElectionRules.tenureDeadline(startNanos, opts);
    ElectionRules.Acquired outcome;
    long next = opts.heartbeat().toNanos();
    synchronized (lock) {
      outcome =
          ElectionRules.afterAcquire(
              result, holder, observed.latestForeign(), closing, deadline, ticker.nanos());
      switch (outcome) {
        case LOST, BOGUS_WIN -> {
          // A bogus win shows another holder's lease: observed like any other.
          observe(result.current());
          next = untilTakeover();
        }
        // What the watch showed (the later holder) stays the observed lease.
        case SUPERSEDED -> next = untilTakeover();
        case RELEASE -> {}
        case ACTIVE -> {
          Lease won = result.current().orElseThrow();
          held = won;
          role = Role.ACTIVE;
          tenure = new Tenure(won.token(), deadline, Context.ROOT.withCancellation());
          metrics.electionWon();
          OptionalLong failover = observed.won(ticker.nanos());
          if (failover.isPresent()) {
            lastFailoverNanos = failover.getAsLong();
          }
          scheduleDeadline(deadline);
          events.queue(Role.ACTIVE, won.token());
        }
        case TOO_LATE -> {
          held = result.current().orElseThrow();
          next = 0;
        }
      }
    }
    events.deliver();
    heldCalls.settle();
    return new AfterAcquire(outcome, next);
  }

  /** Applies the store's answer to the renewal of {@code mine} requested at {@code startNanos}. */
  ElectionRules.Renewed renewed(Lease mine, Optional<Lease> result, long startNanos) {
    long deadline = ElectionRules.tenureDeadline(startNanos, opts);
    ElectionRules.Renewed outcome;
    synchronized (lock) {
      Tenure t = tenure;
      outcome = ElectionRules.afterRenew(held == mine, result, t, deadline, ticker.nanos());
      switch (outcome) {
        // A watch event or close() changed what this member holds meanwhile; they decided.
        case OVERTAKEN -> {}
        case LOST -> held = null;
        case EXTENDED -> {
          Tenure running = Objects.requireNonNull(t);
          held = result.orElseThrow();
          tenure = new Tenure(running.token(), deadline, running.ended());
          scheduleDeadline(deadline);
        }
        case TOO_LATE, KEPT -> held = result.orElseThrow();
      }
    }
    if (outcome == ElectionRules.Renewed.EXTENDED || outcome == ElectionRules.Renewed.KEPT) {
      heldCalls.settle();
    }
    return outcome;
  }

  /**
   * Applies a watch event: a foreign one is observed, and may end the held lease.
   *
   * @return what the event means, or null once the member has finished closing
   */
  ElectionRules.@Nullable Foreign onWatch(LeaseEvent event) {
    synchronized (lock) {
      if (finished) {
        return null;
      }
      Lease lease = event.lease().orElse(null);
      if (lease != null && lease.heldBy(holder)) {
        return ElectionRules.Foreign.NOTHING;
      }
      observed.foreignEvent(event);
      // A closing member keeps watching too, so that the calls it holds learn who took over.
      observe(event.lease());
      return ElectionRules.afterForeignEvent(event, held, closing);
    }
  }

  @GuardedBy("lock")
  private void scheduleDeadline(long deadlineNanos) {
    Future<?> previous = deadlineTask;
    if (previous != null) {
      previous.cancel(false);
    }
    try {
      deadlineTask =
          scheduler.schedule(
              this::checkDeadline, deadlineNanos - ticker.nanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // isActive() and the permits check the deadline on every use; nothing else can be done.
      deadlineTask = null;
    }
  }

  /** Steps down if the tenure's local deadline has passed. */
  void checkDeadline() {
    Tenure t = tenure;
    if (t != null && !t.validAt(ticker.nanos())) {
      endTenure("could not renew before the local lease deadline", false);
    }
  }

  /**
   * Ends the running tenure, if any: STANDBY, admitted calls' contexts cancelled. With {@code
   * dropLease} the member also forgets the lease it held (it is gone at the store).
   */
  void endTenure(String reason, boolean dropLease) {
    Tenure t;
    boolean wasActive;
    synchronized (lock) {
      if (dropLease) {
        held = null;
      }
      t = tenure;
      wasActive = role == Role.ACTIVE;
      if (t == null && !wasActive) {
        return;
      }
      role = Role.STANDBY;
      tenure = null;
      Future<?> task = deadlineTask;
      if (task != null) {
        task.cancel(false);
      }
      if (wasActive) {
        metrics.steppedDown();
        events.queue(Role.STANDBY, 0);
      }
    }
    if (t != null) {
      t.ended().cancel(new CancellationException("exclusive tenure ended: " + reason));
    }
    if (wasActive) {
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .addKeyValue("reason", reason)
          .log("stepped down to STANDBY");
    }
    events.deliver();
    heldCalls.settle();
  }

  /**
   * Begins a close: no more admissions, and STANDBY reported at once so that health checks and load
   * balancers move on. The tenure itself keeps running (and renewing) until the admitted calls are
   * done.
   */
  CloseStart beginClose() {
    boolean wasStarted;
    synchronized (lock) {
      if (closing) {
        return CloseStart.ALREADY_CLOSING;
      }
      closing = true;
      wasStarted = started;
      if (role == Role.ACTIVE) {
        role = Role.STANDBY;
        events.queue(Role.STANDBY, 0);
      }
    }
    events.deliver();
    heldCalls.settle();
    return wasStarted ? CloseStart.STARTED : CloseStart.NOT_STARTED;
  }

  /**
   * Forgets the held lease at the end of a close.
   *
   * @return the lease to release, if {@code drained} (no admitted call still runs)
   */
  @Nullable Lease takeHeld(boolean drained) {
    synchronized (lock) {
      Lease toRelease = drained ? held : null;
      held = null;
      return toRelease;
    }
  }

  /** Marks the close finished: watch events change nothing any more. */
  void finish() {
    synchronized (lock) {
      finished = true;
    }
  }
}
