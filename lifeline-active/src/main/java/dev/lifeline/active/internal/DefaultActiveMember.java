package dev.lifeline.active.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.ExclusivePermit;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.GroupState;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseHolder;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.active.Role;
import dev.lifeline.active.RoleListener;
import dev.lifeline.core.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a single-active group: the {@link ActiveMember} API over its parts. {@link
 * ElectionState} holds the role, the tenure and the leases; {@link ElectionLoop} talks to the store
 * and feeds it; {@link HeldCalls} holds exclusive calls through an election; {@link RoleEvents}
 * tells the listeners; {@link MemberMetrics} counts. This class admits exclusive calls and runs the
 * graceful close. All parts share one lock, so that an admission, a role change and a held call's
 * check each see one consistent state.
 *
 * <p>Thread-safe.
 */
public final class DefaultActiveMember implements ActiveMember {

  private static final Logger log = LoggerFactory.getLogger(DefaultActiveMember.class);

  private final GroupId group;
  private final LeaseHolder holder;
  private final ActiveOptions opts;
  private final Ticker ticker;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final Object lock = new Object();
  private final MemberMetrics metrics;
  private final RoleEvents events;
  private final ElectionState state;
  private final ElectionLoop loop;

  @GuardedBy("lock")
  private final Set<TenurePermit> permits = new LinkedHashSet<>();

  /** Created by {@link ActiveMember.Builder}; arguments are validated there. */
  public DefaultActiveMember(
      GroupId group,
      String id,
      String address,
      LeaseStore store,
      ActiveOptions opts,
      Ticker ticker,
      Clock clock,
      @Nullable ScheduledExecutorService scheduler,
      MeterRegistry registry) {
    this.group = group;
    this.holder = new LeaseHolder(id, UUID.randomUUID().toString(), address);
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
    this.metrics = new MemberMetrics(registry, group, id);
    this.events = new RoleEvents(id);
    this.state =
        new ElectionState(group, holder, opts, ticker, this.scheduler, lock, metrics, events);
    this.loop =
        new ElectionLoop(group, holder, store, opts, ticker, this.scheduler, lock, state, metrics);
    metrics.registerRole(this);
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
    if (!loop.start()) {
      return;
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
    return state.role();
  }

  @Override
  public boolean isActive() {
    return state.isActive();
  }

  @Override
  public OptionalLong fencingToken() {
    Tenure t = state.tenure();
    if (state.closing() || t == null || !t.validAt(ticker.nanos())) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(t.token());
  }

  @Override
  public void fencedOut(long downstreamToken) {
    loop.fencedOut(downstreamToken);
  }

  @Override
  public Optional<ExclusivePermit> tryEnterExclusive() {
    synchronized (lock) {
      Tenure t = state.tenure();
      if (state.closing() || t == null || !t.validAt(ticker.nanos())) {
        return Optional.empty();
      }
      TenurePermit p = new TenurePermit(t.token(), state, ticker, scheduler, this::closed);
      permits.add(p);
      return Optional.of(p);
    }
  }

  /** A permit closed: one call fewer for the drain to wait for. */
  private void closed(TenurePermit p) {
    synchronized (lock) {
      permits.remove(p);
      lock.notifyAll();
    }
  }

  @Override
  public Optional<Lease> knownActive() {
    return state.knownActive();
  }

  @Override
  public CompletionStage<Void> awaitLeader(Duration maxWait) {
    return state.heldCalls().await(maxWait);
  }

  @Override
  public GroupState state() {
    return state.state(clock);
  }

  @Override
  public void addListener(RoleListener listener) {
    events.addListener(listener);
  }

  @Override
  public void close() {
    ElectionState.CloseStart start = state.beginClose();
    if (start == ElectionState.CloseStart.ALREADY_CLOSING) {
      return;
    }
    boolean drained = awaitDrain();
    loop.stop();
    Lease toRelease = loop.takeHeldWhenIdle(drained);
    int running;
    synchronized (lock) {
      running = permits.size();
    }
    state.endTenure("member closed", false);
    if (toRelease != null) {
      loop.release(toRelease);
    } else if (!drained) {
      log.atWarn()
          .addKeyValue("group", group)
          .addKeyValue("member", holder.id())
          .addKeyValue("inFlight", running)
          .log(
              "drain timeout: exclusive calls still run (their contexts are cancelled); not"
                  + " releasing the lease under them, it expires within one ttl");
    }
    if (start == ElectionState.CloseStart.STARTED) {
      state.heldCalls().awaitAnswered();
    }
    loop.finish();
    metrics.unregister();
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
}
