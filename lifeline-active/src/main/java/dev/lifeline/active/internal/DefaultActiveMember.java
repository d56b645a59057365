package dev.lifeline.active.internal;

import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.ExclusivePermit;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.GroupState;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.active.Role;
import dev.lifeline.active.RoleListener;
import dev.lifeline.core.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The election loop of one member. One "tick" at a time (serialized by {@link #tickLock}) talks to
 * the store: a standby tries to acquire, an active renews. Role state is guarded by {@link #lock};
 * {@link #tenure} is a volatile copy read on every exclusive call without locking.
 *
 * <p>Safety: a tenure ends at {@code start of the last successful renew request + ttl -
 * safetyMargin}, checked on every call by {@link #isActive()} and by a scheduled step-down.
 */
public final class DefaultActiveMember implements ActiveMember {

  private static final Logger log = LoggerFactory.getLogger(DefaultActiveMember.class);

  private record Tenure(long token, long deadlineNanos) {}

  /** A held exclusive call waiting for an election to settle ({@link #awaitLeader}). */
  private record Waiter(CompletableFuture<Void> done, long untilNanos, long windowNanos) {}

  /**
   * How long after its estimated expiry a standby tries to take over a silent lease: enough for the
   * store, which measures expiry from the write (or, for NATS, from when it first saw it), to
   * agree.
   */
  private static final long EXPIRY_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /** The shortest gap between two acquire attempts, so a disagreeing store cannot cause a spin. */
  private static final long MIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final GroupId group;
  private final String id;
  private final String address;
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

  private volatile Tenure tenure;

  // Guarded by lock.
  private Role role = Role.STANDBY;
  private Lease held;
  private Lease lastSeen;
  private long lastSeenChangeNanos = -1;
  private long lastFailoverNanos = -1;
  private int consecutiveErrors;
  private Future<?> nextTick;
  private Future<?> deadlineTask;
  private boolean started;
  private boolean closed;
  private boolean finished;
  private final List<Waiter> waiters = new ArrayList<>();
  private int inFlight;
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
    this.id = id;
    this.address = address;
    this.store = store;
    this.opts = opts;
    this.ticker = ticker;
    this.clock = clock;
    if (scheduler == null) {
      this.scheduler =
          Executors.newScheduledThreadPool(
              2,
              r -> {
                Thread t = new Thread(r, "lifeline-active-" + group + "-" + id);
                t.setDaemon(true);
                return t;
              });
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
            .tags(tags)
            .tag("result", "won")
            .register(registry);
    lostCounter =
        Counter.builder("lifeline.active.elections")
            .tags(tags)
            .tag("result", "lost")
            .register(registry);
    renewFailures = Counter.builder("lifeline.active.renew.failures").tags(tags).register(registry);
    stepDowns = Counter.builder("lifeline.active.stepdowns").tags(tags).register(registry);
    storeErrors = Counter.builder("lifeline.active.store.errors").tags(tags).register(registry);
  }

  @Override
  public GroupId group() {
    return group;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public void start() {
    synchronized (lock) {
      if (started || closed) {
        return;
      }
      started = true;
      scheduleTick(0);
    }
    log.atInfo()
        .addKeyValue("group", group)
        .addKeyValue("member", id)
        .addKeyValue("options", opts)
        .log("single-active member starting as STANDBY");
  }

  @Override
  public Role role() {
    synchronized (lock) {
      return role;
    }
  }

  @Override
  public boolean isActive() {
    Tenure t = tenure;
    return t != null && ticker.nanos() - t.deadlineNanos < 0;
  }

  @Override
  public OptionalLong fencingToken() {
    Tenure t = tenure;
    return t != null && ticker.nanos() - t.deadlineNanos < 0
        ? OptionalLong.of(t.token)
        : OptionalLong.empty();
  }

  @Override
  public Optional<ExclusivePermit> tryEnterExclusive() {
    synchronized (lock) {
      Tenure t = tenure;
      if (closed || t == null || ticker.nanos() - t.deadlineNanos >= 0) {
        return Optional.empty();
      }
      inFlight++;
      long token = t.token;
      AtomicBoolean done = new AtomicBoolean();
      return Optional.of(
          new ExclusivePermit() {
            @Override
            public long fencingToken() {
              return token;
            }

            @Override
            public void close() {
              if (done.compareAndSet(false, true)) {
                synchronized (lock) {
                  inFlight--;
                  lock.notifyAll();
                }
              }
            }
          });
    }
  }

  @Override
  public Optional<Lease> knownActive() {
    synchronized (lock) {
      if (role == Role.ACTIVE && held != null) {
        return Optional.of(held);
      }
      return Optional.ofNullable(lastSeen);
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
          id,
          role,
          Optional.ofNullable(active).map(Lease::holderId),
          Optional.ofNullable(active).map(Lease::holderAddress).filter(a -> !a.isEmpty()),
          active == null ? 0 : active.token(),
          Optional.ofNullable(active).map(l -> Duration.between(l.acquiredAt(), clock.instant())),
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
    if (closed) {
      return;
    }
    if (nextTick != null) {
      nextTick.cancel(false);
    }
    nextTick = scheduler.schedule(this::tick, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void tick() {
    if (!tickLock.tryLock()) {
      tickAgain.set(true);
      return;
    }
    long delay;
    try {
      tickAgain.set(false);
      Lease mine;
      synchronized (lock) {
        if (closed) {
          return;
        }
        mine = role == Role.ACTIVE ? held : null;
      }
      ensureWatch();
      delay = mine != null ? renew(mine) : acquire();
    } catch (RuntimeException e) {
      // A bug in a listener or store must not end the loop (the original's monitor died here).
      log.atError()
          .addKeyValue("group", group)
          .addKeyValue("member", id)
          .setCause(e)
          .log("unexpected error in the election loop; continuing");
      delay = opts.heartbeat().toNanos();
    } finally {
      tickLock.unlock();
    }
    synchronized (lock) {
      scheduleTick(tickAgain.getAndSet(false) ? 0 : delay);
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
      closeNow = closed;
      if (!closed) {
        watch = w;
      }
    }
    if (closeNow) {
      closeQuietly(w);
    }
  }

  private void onWatch(Optional<Lease> lease) {
    boolean stepDown = false;
    synchronized (lock) {
      if (finished) {
        return;
      }
      if (closed) {
        // A closing member keeps watching so that the calls it holds learn who took over.
        observe(lease);
      } else if (lease.isPresent() && !lease.get().heldBy(id)) {
        observe(lease);
        if (role == Role.ACTIVE) {
          stepDown = true;
        }
      } else if (lease.isEmpty() && role == Role.STANDBY) {
        observe(lease);
        // Released: compete at once rather than at the next poll.
        scheduleTick(0);
      }
    }
    if (stepDown) {
      stepDown("another member holds the lease");
    }
    settleWaiters();
  }

  /** Guarded by lock: records what the store showed, for hints, diagnostics and failover time. */
  private void observe(Optional<Lease> current) {
    Lease c = current.filter(l -> !l.heldBy(id)).orElse(null);
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
    if (lastSeen == null || lastSeen.revision() != c.revision()) {
      lastSeenChangeNanos = ticker.nanos();
    }
    lastSeen = c;
  }

  private long acquire() {
    long start = ticker.nanos();
    Optional<Lease> result;
    try {
      result = store.acquire(group, id, address, opts.ttl());
    } catch (RuntimeException e) {
      return onStoreError("acquire", e);
    }
    boolean becameActive = false;
    Lease won = null;
    boolean releaseNow = false;
    long next = opts.heartbeat().toNanos();
    synchronized (lock) {
      consecutiveErrors = 0;
      if (result.isPresent() && result.get().heldBy(id)) {
        won = result.get();
        held = won;
        long deadline = start + opts.ttl().toNanos() - opts.safetyMargin().toNanos();
        if (closed) {
          releaseNow = true;
        } else if (ticker.nanos() - deadline < 0) {
          becameActive = true;
          role = Role.ACTIVE;
          tenure = new Tenure(won.token(), deadline);
          electionsWon++;
          wonCounter.increment();
          if (lastSeenChangeNanos >= 0) {
            lastFailoverNanos = ticker.nanos() - lastSeenChangeNanos;
          }
          lastSeen = null;
          scheduleDeadline(deadline);
        }
      } else {
        observe(result);
        next = untilTakeover();
      }
    }
    settleWaiters();
    if (releaseNow) {
      releaseQuietly(won);
      return opts.heartbeat().toNanos();
    }
    if (becameActive) {
      log.atInfo()
          .addKeyValue("group", group)
          .addKeyValue("member", id)
          .addKeyValue("token", won.token())
          .log("became ACTIVE");
      fire(Role.ACTIVE, won.token());
    } else if (won != null) {
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", id)
          .log("acquired the lease too late to use it; will renew before serving");
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
    if (result.isEmpty()) {
      synchronized (lock) {
        consecutiveErrors = 0;
        if (held == mine) {
          held = null;
        }
      }
      stepDown("lease lost: another write or delete at the store");
      return 0;
    }
    String late = null;
    synchronized (lock) {
      consecutiveErrors = 0;
      Lease renewed = result.get();
      if (held == mine) {
        held = renewed;
      }
      long deadline = start + opts.ttl().toNanos() - opts.safetyMargin().toNanos();
      if (role == Role.ACTIVE && held == renewed) {
        if (ticker.nanos() - deadline < 0) {
          tenure = new Tenure(renewed.token(), deadline);
          scheduleDeadline(deadline);
        } else {
          late = "renewal answered after the local lease deadline";
        }
      }
    }
    if (late != null) {
      stepDown(late);
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
    deadlineTask =
        scheduler.schedule(
            this::checkDeadline, deadlineNanos - ticker.nanos(), TimeUnit.NANOSECONDS);
  }

  private void checkDeadline() {
    Tenure t = tenure;
    if (t != null && ticker.nanos() - t.deadlineNanos >= 0) {
      stepDown("could not renew before the local lease deadline");
    }
  }

  private void stepDown(String reason) {
    synchronized (lock) {
      if (role != Role.ACTIVE) {
        return;
      }
      role = Role.STANDBY;
      tenure = null;
      stepDownsCount++;
      if (deadlineTask != null) {
        deadlineTask.cancel(false);
      }
    }
    stepDowns.increment();
    log.atWarn()
        .addKeyValue("group", group)
        .addKeyValue("member", id)
        .addKeyValue("reason", reason)
        .log("stepped down to STANDBY");
    fire(Role.STANDBY, 0);
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
        .addKeyValue("member", id)
        .addKeyValue("operation", op)
        .addKeyValue("consecutiveErrors", n)
        .addKeyValue("retryInMs", TimeUnit.NANOSECONDS.toMillis(delay))
        .addKeyValue("role", role())
        .addKeyValue("error", String.valueOf(e.getMessage()))
        .log("lease store unreachable; retrying (a standby stays STANDBY until it holds a lease)");
    return delay;
  }

  private void fire(Role r, long token) {
    for (RoleListener l : listeners) {
      try {
        l.onRoleChange(r, token);
      } catch (RuntimeException e) {
        log.atWarn().addKeyValue("member", id).setCause(e).log("role listener failed");
      }
    }
  }

  @Override
  public void close() {
    boolean wasActive;
    Lease toRelease;
    AutoCloseable w;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      if (nextTick != null) {
        nextTick.cancel(false);
      }
      if (deadlineTask != null) {
        deadlineTask.cancel(false);
      }
      wasActive = role == Role.ACTIVE;
      role = Role.STANDBY;
      tenure = null;
      // The drain bound is real time on purpose: close() is called by shutdown paths, not tests of
      // timing, and a fake ticker must not make it wait forever.
      long drainEnd = System.nanoTime() + opts.drainTimeout().toNanos();
      while (inFlight > 0) {
        long left = drainEnd - System.nanoTime();
        if (left <= 0) {
          log.atWarn()
              .addKeyValue("group", group)
              .addKeyValue("member", id)
              .addKeyValue("inFlight", inFlight)
              .log("drain timeout: releasing the lease with exclusive calls still running");
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      toRelease = held;
      held = null;
    }
    if (wasActive) {
      fire(Role.STANDBY, 0);
    }
    // Wait for a running tick so that it cannot win a lease after we released.
    tickLock.lock();
    try {
      synchronized (lock) {
        if (held != null) {
          toRelease = held;
          held = null;
        }
      }
    } finally {
      tickLock.unlock();
    }
    if (toRelease != null) {
      releaseQuietly(toRelease);
    }
    awaitHeldCalls();
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
    log.atInfo().addKeyValue("group", group).addKeyValue("member", id).log("member closed");
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
          .addKeyValue("member", id)
          .addKeyValue("released", released)
          .log("lease released");
    } catch (RuntimeException e) {
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", id)
          .setCause(e)
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
