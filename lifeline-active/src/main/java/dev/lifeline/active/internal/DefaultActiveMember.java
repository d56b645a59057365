package dev.lifeline.active.internal;

import java.util.concurrent.ScheduledFuture;
import dev.lifeline.active.Acquisition;
import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.ExclusivePermit;
import dev.lifeline.active.FencingToken;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.GroupState;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.active.Role;
import dev.lifeline.active.RoleListener;
import dev.lifeline.core.Ticker;
import io.grpc.Context;
import io.grpc.Deadline;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The election loop of one member. One "tick" at a time (serialized by {@link #tickLock}) talks to
 * the store: a member holding a tenure renews, any other member that is not closing tries to
 * acquire. Role state is guarded by {@link #lock}; {@link #tenure} and {@link #closing} are
 * volatile copies read on every exclusive call without locking.
 *
 * <p>Safety: a tenure ends at {@code start of the last successful renew request + ttl -
 * safetyMargin}, checked on every call by {@link #isActive()}, by the permits of admitted calls and
 * by a scheduled step-down that also cancels the calls' contexts. A lease counts as this member's
 * only if this incarnation wrote it and the store reported the write as won.
 *
 * <p>Thread-safe.
 */
public final class DefaultActiveMember implements ActiveMember {

  private static final Logger log = LoggerFactory.getLogger(DefaultActiveMember.class);

  private static final Executor DIRECT = Runnable::run;

  /**
   * One tenure: its token, its current local deadline and a cancellation signal that ends the
   * contexts of the calls it admitted. Renewals replace the record but keep the signal.
   */
  private record Tenure(long token, long deadlineNanos, Context.CancellableContext ended) {
    boolean validAt(long nowNanos) {
      return nowNanos - deadlineNanos < 0;
    }
  }

  /** A held exclusive call waiting for an election to settle ({@link #awaitLeader}). */
  private record Waiter(CompletableFuture<Void> done, long untilNanos, long windowNanos) {}

  private record RoleEvent(Role role, long token) {}

  /**
   * How long after its estimated expiry a standby tries to take over a silent lease: enough for the
   * store, which measures expiry from the write (or, for NATS, from when it first saw it), to
   * agree.
   */
  private static final long EXPIRY_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /** The shortest gap between two acquire attempts, so a disagreeing store cannot cause a spin. */
  private static final long MIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final GroupId group;
  private final LeaseHolder holder;
  private final LeaseStore store;
  private final ActiveOptions opts;
  private final Ticker ticker;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final List<RoleListener> listeners = new CopyOnWriteArrayList<>();
  private final ReentrantLock tickLock = new ReentrantLock();
  private final AtomicBoolean tickAgain = new AtomicBoolean();

  private final Object lock = new Object();

  /** The running tenure, or null. Written under {@link #lock}; read anywhere. */
  private volatile Tenure tenure;

  /** Set once {@link #close()} begins: no more admissions. Written under {@link #lock}. */
  private volatile boolean closing;

  // Guarded by lock.
  private Role role = Role.STANDBY;
  private Lease held;
  private Lease lastSeen;

  /** The latest foreign write or delete the watch showed, in store order; null before the first. */
  private LeaseEvent latestForeign;

  private long lastSeenChangeNanos = -1;
  private long lastFailoverNanos = -1;
  private int consecutiveErrors;
  private Future<?> nextTick;
  private Future<?> deadlineTask;
  private boolean started;
  private boolean loopStopped;
  private boolean finished;
  private final List<Waiter> waiters = new ArrayList<>();
  private final Set<Permit> permits = new LinkedHashSet<>();
  private final ArrayDeque<RoleEvent> pendingEvents = new ArrayDeque<>();
  private boolean firing;
  private AutoCloseable watch;
  private long electionsWon;
  private long electionsLost;
  private long renewFailuresCount;
  private long stepDownsCount;

  private final MeterRegistry registry;
  private final Gauge roleGauge;
  private final Counter wonCounter;
  private final Counter lostCounter;
  private final Counter renewFailures;
  private final Counter stepDowns;
  private final Counter storeErrors;

  /** Created by {@link ActiveMember.Builder}; arguments are validated there. */
  public DefaultActiveMember(
      GroupId group,
      String id,
      String address,
      LeaseStore store,
      ActiveOptions opts,
      Ticker ticker,
      Clock clock,
      ScheduledExecutorService scheduler,
      MeterRegistry registry) {
    this.group = group;
    this.holder = new LeaseHolder(id, UUID.randomUUID().toString(), address);
    this.store = store;
    this.opts = opts;
    this.ticker = ticker;
    this.clock = clock;
    if (scheduler == null) {
      ScheduledThreadPoolExecutor own =
          new ScheduledThreadPoolExecutor(
              2,
              r -> {
                Thread t = new Thread(r, "lifeline-active-" + group + "-" + id);
                t.setDaemon(true);
                return t;
              });
      // Every exclusive call schedules its context's deadline; most are cancelled long before.
      own.setRemoveOnCancelPolicy(true);
      this.scheduler = own;
      this.ownsScheduler = true;
    } else {
      this.scheduler = scheduler;
      this.ownsScheduler = false;
    }
    Tags tags = Tags.of("service", group.service(), "group", group.group(), "member", id);
    this.registry = registry;
    // A member restarted under the same id (after a crash, without close) would otherwise get the
    // old incarnation's gauge back from the registry, still reading the dead object.
    Gauge previous = registry.find("lifeline.active.role").tags(tags).gauge();
    if (previous != null) {
      registry.remove(previous);
    }
    this.roleGauge =
        Gauge.builder("lifeline.active.role", this, m -> m.isActive() ? 1 : 0)
            .description("1 while this member is ACTIVE, 0 while STANDBY")
            .tags(tags)
            .register(registry);
    wonCounter =
        Counter.builder("lifeline.active.elections")
            .description("Lease acquisitions tried, by result")
            .tags(tags)
            .tag("result", "won")
            .register(registry);
    lostCounter =
        Counter.builder("lifeline.active.elections")
            .description("Lease acquisitions tried, by result")
            .tags(tags)
            .tag("result", "lost")
            .register(registry);
    renewFailures =
        Counter.builder("lifeline.active.renew.failures")
            .description("Heartbeats that could not renew the lease")
            .tags(tags)
            .register(registry);
    stepDowns =
        Counter.builder("lifeline.active.stepdowns")
            .description("Times this member gave up being active")
            .tags(tags)
            .register(registry);
    storeErrors =
        Counter.builder("lifeline.active.store.errors")
            .description("Lease-store operations that failed or timed out")
            .tags(tags)
            .register(registry);
  }

  @Override
  public GroupId group() {
    return group;
  }

  @Override
  public String id() {
    return holder.id();
  }

  @Override
  public String incarnation() {
    return holder.incarnation();
  }

  @Override
  public String address() {
    return holder.address();
  }

  @Override
  public void start() {
    synchronized (lock) {
      if (started || closing) {
        return;
      }
      started = true;
      scheduleTick(0);
    }
    log.atInfo()
        .addKeyValue("group", group)
        .addKeyValue("member", holder.id())
        .addKeyValue("incarnation", holder.incarnation())
        .addKeyValue("options", opts)
        .log("single-active member starting as STANDBY");
  }

  @Override
  public Role role() {
    synchronized (lock) {
      return role;
    }
  }

  /** Whether {@code t} is a tenure that still runs now. */
  private boolean running(Tenure t) {
    return t != null && t.validAt(ticker.nanos());
  }

  @Override
  public boolean isActive() {
    return !closing && running(tenure);
  }

  @Override
  public OptionalLong fencingToken() {
    Tenure t = tenure;
    return !closing && running(t) ? OptionalLong.of(t.token) : OptionalLong.empty();
  }

  @Override
  public void fencedOut(long downstreamToken) {
    store.tokenSeenDownstream(group, downstreamToken);
    boolean stale;
    synchronized (lock) {
      Tenure t = tenure;
      stale = t != null && t.token <= downstreamToken;
    }
    if (stale) {
      endTenure(
          "a downstream system already accepted fencing token "
              + downstreamToken
              + ", at or above this tenure's (the store lost acknowledged writes)",
          // Dropped, not renewed: a renewal keeps the token; a new acquisition gets one above.
          true);
      synchronized (lock) {
        if (!closing && !finished) {
          scheduleTick(0);
        }
      }
    }
  }

  @Override
  public Optional<ExclusivePermit> tryEnterExclusive() {
    synchronized (lock) {
      Tenure t = tenure;
      if (closing || !running(t)) {
        return Optional.empty();
      }
      Permit p = new Permit(t.token);
      permits.add(p);
      return Optional.of(p);
    }
  }

  /**
   * One admitted call. Its contexts hang off two signals, the tenure's and the call's own end, and
   * unregister from both when they end by themselves (deadline), so a long stream does not pile up
   * listeners. Thread-safe; {@link #closed} is guarded by {@code this}.
   */
  private final class Permit implements ExclusivePermit {
    private final long token;
    private final Context.CancellableContext callEnded = Context.ROOT.withCancellation();
    private boolean closed;

    Permit(long token) {
      this.token = token;
    }

    @Override
    public long fencingToken() {
      return token;
    }

    @Override
    public boolean isCurrent() {
      Tenure t = tenure;
      return t != null && t.token == token && t.validAt(ticker.nanos());
    }

    @Override
    public Context.CancellableContext newContext(Context parent) {
      Context base = FencingToken.withToken(parent, token);
      Tenure t = tenure;
      long now = ticker.nanos();
      if (t == null || t.token != token || !t.validAt(now)) {
        return cancelled(base, "the tenure of token " + token + " ended");
      }
      Context.CancellableContext step;
      try {
        step =
            base.withDeadline(
                Deadline.after(t.deadlineNanos - now, TimeUnit.NANOSECONDS), scheduler);
      } catch (RejectedExecutionException e) {
        // The scheduler is shutting down with the member: nothing could end this context.
        return cancelled(base, "the member is closed");
      }
      Context.CancellationListener end = ended -> step.cancel(ended.cancellationCause());
      t.ended.addListener(end, DIRECT);
      callEnded.addListener(end, DIRECT);
      step.addListener(
          self -> {
            t.ended.removeListener(end);
            callEnded.removeListener(end);
          },
          DIRECT);
      return step;
    }

    @Override
    public void close() {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
      }
      callEnded.cancel(new CancellationException("exclusive call ended"));
      synchronized (lock) {
        permits.remove(this);
        lock.notifyAll();
      }
    }
  }

  private static Context.CancellableContext cancelled(Context base, String why) {
    Context.CancellableContext c = base.withCancellation();
    c.cancel(new CancellationException(why));
    return c;
  }

  @Override
  public Optional<Lease> knownActive() {
    synchronized (lock) {
      if (role == Role.ACTIVE && held != null) {
        return Optional.of(held);
      }
      // An unreadable value names nobody to send clients to.
      return Optional.ofNullable(lastSeen).filter(Lease::readable);
    }
  }

  @Override
  public CompletionStage<Void> awaitLeader(Duration maxWait) {
    long wait = maxWait.isNegative() ? 0 : maxWait.toNanos();
    long window = Math.min(wait, (opts.ttl().toNanos() - opts.heartbeat().toNanos()) / 2);
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (lock) {
      if (wait == 0 || settled(window)) {
        done.complete(null);
        return done;
      }
      waiters.add(new Waiter(done, ticker.nanos() + wait, window));
    }
    try {
      ScheduledFuture<?> unused =
          scheduler.schedule(this::settleWaiters, wait, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The scheduler is gone (the member's process is going down): nothing would wake the call.
      done.complete(null);
    }
    return done;
  }

  /**
   * Guarded by lock. Whether a call that cannot be served is worth answering now, rather than held
   * because an election is under way.
   */
  private boolean settled(long windowNanos) {
    if (finished || isActive()) {
      return true;
    }
    if (role == Role.ACTIVE) {
      // The tenure lapsed and a renewal is pending: it either restores the tenure or steps down.
      return false;
    }
    if (lastSeen == null) {
      // Nobody holds the lease (released, or expired and being taken over): an election is on.
      return false;
    }
    return expectedExpiryNanos() - ticker.nanos() > windowNanos;
  }

  /**
   * Guarded by lock; needs {@code lastSeen}. When the store will count the observed lease as
   * expired, at the latest: the holder wrote it before this member observed it.
   */
  private long expectedExpiryNanos() {
    long ttl = Math.max(lastSeen.ttl().toNanos(), opts.ttl().toNanos());
    return lastSeenChangeNanos + ttl;
  }

  /** Completes the held calls whose election settled or whose wait ran out. */
  private void settleWaiters() {
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    synchronized (lock) {
      if (waiters.isEmpty()) {
        return;
      }
      long now = ticker.nanos();
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (now - w.untilNanos >= 0 || settled(w.windowNanos)) {
          ready.add(w.done);
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

  @Override
  public GroupState state() {
    synchronized (lock) {
      Lease active = role == Role.ACTIVE ? held : lastSeen;
      return new GroupState(
          group,
          holder.id(),
          role,
          Optional.ofNullable(active).filter(Lease::readable).map(Lease::holderId),
          Optional.ofNullable(active).map(Lease::holderAddress).filter(a -> !a.isEmpty()),
          active == null ? 0 : active.token(),
          Optional.ofNullable(active)
              .filter(Lease::readable)
              .map(l -> Duration.between(l.acquiredAt(), clock.instant())),
          lastFailoverNanos < 0
              ? Optional.empty()
              : Optional.of(Duration.ofNanos(lastFailoverNanos)),
          electionsWon,
          electionsLost,
          renewFailuresCount,
          stepDownsCount);
    }
  }

  @Override
  public void addListener(RoleListener listener) {
    listeners.add(listener);
  }

  // ---- the loop -------------------------------------------------------------------------

  /** Guarded by lock. */
  private void scheduleTick(long delayNanos) {
    if (loopStopped) {
      return;
    }
    if (nextTick != null) {
      nextTick.cancel(false);
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
        mine = tenure != null ? held : null;
        isClosing = closing;
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
      checkDeadline();
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
      closeNow = finished;
      if (!finished) {
        watch = w;
      }
    }
    if (closeNow) {
      closeQuietly(w);
    }
  }

  private void onWatch(LeaseEvent event) {
    String lostBecause = null;
    synchronized (lock) {
      if (finished) {
        return;
      }
      Lease lease = event.lease().orElse(null);
      boolean ours = lease != null && lease.heldBy(holder);
      if (!ours) {
        if (latestForeign == null || later(event, latestForeign)) {
          latestForeign = event;
        }
        // A closing member keeps watching too, so that the calls it holds learn who took over.
        observe(event.lease());
        if (losesHeldLease(event)) {
          lostBecause =
              lease == null
                  ? "the lease was deleted at the store"
                  : "another holder wrote the lease (" + describe(lease.holder()) + ")";
        } else if (lease == null && held == null && !closing) {
          // Released: compete at once rather than at the next poll.
          scheduleTick(0);
        }
      }
    }
    if (lostBecause != null) {
      endTenure(lostBecause, true);
    }
    settleWaiters();
  }

  /**
   * Guarded by lock. Whether a foreign write or a delete shown by the watch ends the lease this
   * member holds: only if it happened after the write this member knows as its latest, since
   * watches deliver late (a release seen after this member already won the next election is old
   * news, not a loss).
   */
  private boolean losesHeldLease(LeaseEvent foreign) {
    return held != null && foreign.isAfter(held);
  }

  /**
   * Guarded by lock. Whether the watch showed a foreign write or delete after {@code won} before
   * the acquire that wrote it returned: the store no longer holds this member's lease, so the win
   * starts no tenure. A correct store never lets a write follow a fresh acquire that closely, but
   * nats-server before 2.9.21 accepts two compare-and-set writes of the same expected revision
   * (nats-server#4320), and both writers then see a win.
   */
  private boolean supersededBeforeItReturned(Lease won) {
    return latestForeign != null && latestForeign.isAfter(won);
  }

  private long latestForeignRevision() {
    synchronized (lock) {
      return latestForeign == null ? 0 : latestForeign.revision();
    }
  }

  private static boolean later(LeaseEvent a, LeaseEvent b) {
    return a.epoch() != b.epoch() ? a.epoch() > b.epoch() : a.revision() > b.revision();
  }

  private String describe(LeaseHolder h) {
    if (h == LeaseHolder.UNREADABLE) {
      return "an unreadable value";
    }
    return h.id().equals(holder.id())
        ? "same id " + h.id() + ", another incarnation " + h.incarnation()
        : "member " + h.id();
  }

  /** Guarded by lock: records what the store showed, for hints, diagnostics and failover time. */
  private void observe(Optional<Lease> current) {
    Lease c = current.filter(l -> !l.heldBy(holder)).orElse(null);
    if (c == null) {
      if (lastSeen != null) {
        lastSeenChangeNanos = ticker.nanos();
      }
      lastSeen = null;
      return;
    }
    if (lastSeen == null || lastSeen.token() != c.token()) {
      electionsLost++;
      lostCounter.increment();
    }
    if (lastSeen == null || lastSeen.revision() != c.revision() || lastSeen.epoch() != c.epoch()) {
      lastSeenChangeNanos = ticker.nanos();
    }
    lastSeen = c;
  }

  private long acquire() {
    long start = ticker.nanos();
    Acquisition result;
    try {
      result = store.acquire(group, holder, opts.ttl());
    } catch (RuntimeException e) {
      return onStoreError("acquire", e);
    }
    Lease won = null;
    boolean becameActive = false;
    boolean releaseNow = false;
    boolean bogusWin = false;
    boolean superseded = false;
    long next = opts.heartbeat().toNanos();
    synchronized (lock) {
      consecutiveErrors = 0;
      if (result.won() && !result.current().get().heldBy(holder)) {
        bogusWin = true;
      }
      if (result.won() && !bogusWin && supersededBeforeItReturned(result.current().get())) {
        // What the watch showed (the later holder) stays the observed lease.
        superseded = true;
        next = untilTakeover();
      } else if (result.won() && !bogusWin) {
        won = result.current().get();
        long deadline = start + opts.ttl().toNanos() - opts.safetyMargin().toNanos();
        if (closing) {
          releaseNow = true;
        } else {
          held = won;
          if (ticker.nanos() - deadline < 0) {
            becameActive = true;
            role = Role.ACTIVE;
            tenure = new Tenure(won.token(), deadline, Context.ROOT.withCancellation());
            electionsWon++;
            wonCounter.increment();
            if (lastSeenChangeNanos >= 0) {
              lastFailoverNanos = ticker.nanos() - lastSeenChangeNanos;
            }
            lastSeen = null;
            scheduleDeadline(deadline);
            pendingEvents.add(new RoleEvent(Role.ACTIVE, won.token()));
          }
        }
      } else {
        observe(result.current());
        next = untilTakeover();
      }
    }
    deliverEvents();
    settleWaiters();
    if (superseded) {
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .addKeyValue("won", result.current().get().revision())
          .addKeyValue("later", latestForeignRevision())
          .log(
              "the store accepted this member's acquire, but the watch had already shown a later"
                  + " write by another holder; staying STANDBY (a store that lets two"
                  + " compare-and-set writes win, e.g. nats-server before 2.9.21)");
    }
    if (bogusWin) {
      log.atError()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .addKeyValue("lease", result.current().get())
          .log("the store reported a win for another holder; ignoring it");
    }
    if (releaseNow) {
      releaseQuietly(won);
    } else if (becameActive) {
      log.atInfo()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .addKeyValue("token", won.token())
          .log("became ACTIVE");
    } else if (won != null) {
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .log("acquired the lease too late to use it; acquiring it again before serving");
      next = 0;
    }
    return next;
  }

  /**
   * Guarded by lock. When a standby tries again: at the next heartbeat, or just after the observed
   * lease should have expired if that comes first, so that a crashed active is replaced about one
   * TTL after its last renewal instead of up to a heartbeat later.
   */
  private long untilTakeover() {
    long heartbeat = opts.heartbeat().toNanos();
    if (lastSeen == null) {
      return heartbeat;
    }
    long left = expectedExpiryNanos() + EXPIRY_SLACK_NANOS - ticker.nanos();
    return Math.max(MIN_POLL_NANOS, Math.min(heartbeat, left));
  }

  private long renew(Lease mine) {
    long start = ticker.nanos();
    Optional<Lease> result;
    try {
      result = store.renew(mine);
    } catch (RuntimeException e) {
      synchronized (lock) {
        renewFailuresCount++;
      }
      renewFailures.increment();
      onStoreError("renew", e);
      checkDeadline();
      // Retry soon: the tenure is running out.
      return Math.max(1, opts.heartbeat().toNanos() / 2);
    }
    String ended = null;
    synchronized (lock) {
      consecutiveErrors = 0;
      if (held != mine) {
        // A watch event or close() changed what this member holds meanwhile; they decided.
        return opts.heartbeat().toNanos();
      }
      if (result.isEmpty()) {
        held = null;
        ended = "lease lost: another write or a delete at the store";
      } else {
        Lease renewed = result.get();
        held = renewed;
        long deadline = start + opts.ttl().toNanos() - opts.safetyMargin().toNanos();
        Tenure t = tenure;
        if (t != null && t.token == renewed.token()) {
          if (ticker.nanos() - deadline < 0) {
            tenure = new Tenure(t.token, deadline, t.ended);
            scheduleDeadline(deadline);
          } else {
            ended = "renewal answered after the local lease deadline";
          }
        }
      }
    }
    if (ended != null) {
      endTenure(ended, false);
      return 0;
    }
    settleWaiters();
    return opts.heartbeat().toNanos();
  }

  /** Guarded by lock. */
  private void scheduleDeadline(long deadlineNanos) {
    if (deadlineTask != null) {
      deadlineTask.cancel(false);
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

  private void checkDeadline() {
    Tenure t = tenure;
    if (t != null && !t.validAt(ticker.nanos())) {
      endTenure("could not renew before the local lease deadline", false);
    }
  }

  /**
   * Ends the running tenure, if any: STANDBY, admitted calls' contexts cancelled. With {@code
   * dropLease} the member also forgets the lease it held (it is gone at the store).
   */
  private void endTenure(String reason, boolean dropLease) {
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
      if (deadlineTask != null) {
        deadlineTask.cancel(false);
      }
      if (wasActive) {
        stepDownsCount++;
        pendingEvents.add(new RoleEvent(Role.STANDBY, 0));
      }
    }
    if (t != null) {
      t.ended.cancel(new CancellationException("exclusive tenure ended: " + reason));
    }
    if (wasActive) {
      stepDowns.increment();
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .addKeyValue("reason", reason)
          .log("stepped down to STANDBY");
    }
    deliverEvents();
    settleWaiters();
  }

  private long onStoreError(String op, RuntimeException e) {
    int n;
    synchronized (lock) {
      n = ++consecutiveErrors;
    }
    storeErrors.increment();
    long base = opts.heartbeat().toNanos() << Math.min(n - 1, 20);
    long delay = Math.min(base, opts.maxStoreBackoff().toNanos());
    log.atWarn()
        .addKeyValue("group", group)
        .addKeyValue("member", holder.id())
        .addKeyValue("operation", op)
        .addKeyValue("consecutiveErrors", n)
        .addKeyValue("retryInMs", TimeUnit.NANOSECONDS.toMillis(delay))
        .addKeyValue("role", role())
        .addKeyValue("error", String.valueOf(e.getMessage()))
        .log("lease store unreachable; retrying (a standby stays STANDBY until it holds a lease)");
    return delay;
  }

  /**
   * Delivers the queued role events, one at a time and in the order the changes happened: a thread
   * that finds another one delivering leaves its events to it. Events are queued under {@link
   * #lock}, so the queue's order is the order of the changes.
   */
  private void deliverEvents() {
    synchronized (lock) {
      if (firing) {
        return;
      }
      firing = true;
    }
    while (true) {
      RoleEvent e;
      synchronized (lock) {
        e = pendingEvents.poll();
        if (e == null) {
          firing = false;
          return;
        }
      }
      for (RoleListener l : listeners) {
        try {
          l.onRoleChange(e.role(), e.token());
        } catch (Throwable t) {
          log.atWarn().addKeyValue("member", holder.id()).setCause(t).log("role listener failed");
        }
      }
    }
  }

  @Override
  public void close() {
    boolean wasStarted;
    synchronized (lock) {
      if (closing) {
        return;
      }
      closing = true;
      wasStarted = started;
      if (role == Role.ACTIVE) {
        // Reported at once so that health checks and load balancers move on; the tenure itself
        // keeps running (and renewing) until the admitted calls are done.
        role = Role.STANDBY;
        pendingEvents.add(new RoleEvent(Role.STANDBY, 0));
      }
    }
    deliverEvents();
    settleWaiters();
    boolean drained = awaitDrain();
    synchronized (lock) {
      loopStopped = true;
      if (nextTick != null) {
        nextTick.cancel(false);
      }
    }
    // Wait for a running tick: its renewal may replace the lease that has to be released.
    Lease toRelease = null;
    int running;
    tickLock.lock();
    try {
      synchronized (lock) {
        running = permits.size();
        if (drained) {
          toRelease = held;
        }
        held = null;
      }
    } finally {
      tickLock.unlock();
    }
    endTenure("member closed", false);
    if (toRelease != null) {
      releaseQuietly(toRelease);
    } else if (!drained) {
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .addKeyValue("inFlight", running)
          .log(
              "drain timeout: exclusive calls still run (their contexts are cancelled); not"
                  + " releasing the lease under them, it expires within one ttl");
    }
    if (wasStarted) {
      awaitHeldCalls();
    }
    AutoCloseable w;
    synchronized (lock) {
      finished = true;
      w = watch;
      watch = null;
    }
    settleWaiters();
    if (w != null) {
      closeQuietly(w);
    }
    // Only this incarnation's gauge: a successor under the same id may have replaced it.
    if (registry.find(roleGauge.getId().getName()).tags(roleGauge.getId().getTags()).gauge()
        == roleGauge) {
      registry.remove(roleGauge);
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    log.atInfo()
        .addKeyValue("group", group)
        .addKeyValue("member", holder.id())
        .log("member closed");
  }

  /**
   * Waits until no admitted exclusive call runs, at most the drain timeout. Real time on purpose:
   * close() is called by shutdown paths, not tests of timing, and a fake ticker must not make it
   * wait forever.
   *
   * @return whether every admitted call completed
   */
  private boolean awaitDrain() {
    synchronized (lock) {
      long end = System.nanoTime() + opts.drainTimeout().toNanos();
      while (!permits.isEmpty()) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Waits until the calls held through the handover are answered: the watch reports the successor
   * and {@link #settleWaiters} completes them, or their own waits run out. Real time, like the
   * drain.
   */
  private void awaitHeldCalls() {
    synchronized (lock) {
      long longest = 0;
      long now = ticker.nanos();
      for (Waiter wt : waiters) {
        longest = Math.max(longest, wt.untilNanos - now);
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

  private void releaseQuietly(Lease lease) {
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
