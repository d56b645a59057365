package dev.lifeline.grpc.internal;

import dev.lifeline.core.Ticker;
import dev.lifeline.grpc.ChannelBuilderFactory;
import dev.lifeline.grpc.ChannelOptions;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Deadline;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pool entry: the gRPC channel (or, with {@code maxConnectionsPerTarget > 1}, channels) for a
 * target and options, created lazily, rebuilt single-flight when found SHUTDOWN or stuck READY, and
 * reconnected before a call that finds it in TRANSIENT_FAILURE.
 *
 * <p>Thread-safe. The hot path ({@link #newCall}) reads one volatile field and the channel's local
 * state; only creation, rebuilds and shrinking take {@link #lock}.
 */
public final class ManagedTarget {

  private static final Logger log = LoggerFactory.getLogger(ManagedTarget.class);

  /** Why a channel was rebuilt: the values of the {@code reason} tag. */
  private static final List<String> REBUILD_REASONS = List.of("shutdown", "stuck_ready", "manual");

  /** What every entry of one pool shares. Immutable, apart from the set of draining channels. */
  public static final class Environment {
    final ChannelBuilderFactory builderFactory;
    final ScheduledExecutorService scheduler;
    final Ticker ticker;
    final DoubleSupplier random;
    final MeterRegistry registry;
    // Channels shut down and still draining; the pool's close() forces whatever is left.
    final Set<ManagedChannel> draining = ConcurrentHashMap.newKeySet();

    public Environment(
        ChannelBuilderFactory builderFactory,
        ScheduledExecutorService scheduler,
        Ticker ticker,
        DoubleSupplier random,
        MeterRegistry registry) {
      this.builderFactory = builderFactory;
      this.scheduler = scheduler;
      this.ticker = ticker;
      this.random = random;
      this.registry = registry;
    }

    public ChannelBuilderFactory builderFactory() {
      return builderFactory;
    }

    public ScheduledExecutorService scheduler() {
      return scheduler;
    }

    /** Forces every channel still draining to shut down now. */
    public void forceDraining() {
      for (ManagedChannel c : draining) {
        c.shutdownNow();
      }
      draining.clear();
    }
  }

  private final String target;
  private final ChannelOptions options;
  private final Environment env;
  private final Object lock = new Object();

  private static final Slot[] NONE = new Slot[0];

  /**
   * The connections to the target, usually one (see {@link
   * ChannelOptions#maxConnectionsPerTarget()}). Copy-on-write under {@link #lock}; read without it
   * on the call path.
   */
  private volatile Slot[] members = NONE;

  /** Written under {@link #lock}. */
  private volatile boolean closed;

  /** Guarded by the pool's lock. */
  private int leaseCount;

  /** Guarded by the pool's lock: the close scheduled after the last release, if any. */
  private ScheduledFuture<?> lingering;

  /** Guarded by {@link #lock}; numbers the channels created, for logs. */
  private long generations;

  private final AtomicInteger leases = new AtomicInteger();
  private final Counter creations;
  private final Counter resets;
  private final Map<String, Counter> rebuilds = new ConcurrentHashMap<>();
  private final List<Meter> meters = new ArrayList<>();

  public ManagedTarget(String target, ChannelOptions options, Environment env) {
    this.target = target;
    this.options = options;
    this.env = env;
    MeterRegistry r = env.registry;
    this.creations =
        Counter.builder("lifeline.channel.creations")
            .description("gRPC channels created for the target")
            .tag("target", target)
            .register(r);
    this.resets =
        Counter.builder("lifeline.channel.backoff.resets")
            .description("Times Lifeline skipped grpc's reconnect backoff while calls waited")
            .tag("target", target)
            .register(r);
    meters.add(creations);
    meters.add(resets);
    for (String reason : REBUILD_REASONS) {
      Counter c =
          Counter.builder("lifeline.channel.rebuilds")
              .description("Channels replaced by a fresh one, by reason")
              .tag("target", target)
              .tag("reason", reason)
              .register(r);
      rebuilds.put(reason, c);
      meters.add(c);
    }
    meters.add(
        Gauge.builder("lifeline.channel.leases", leases, AtomicInteger::get)
            .tag("target", target)
            .description("leases held on the pooled channel")
            .register(r));
    for (ConnectivityState s : ConnectivityState.values()) {
      meters.add(
          Gauge.builder("lifeline.channel.state", this, m -> m.state() == s ? 1 : 0)
              .tag("target", target)
              .tag("state", s.name().toLowerCase(Locale.ROOT))
              .description("1 for the channel's current connectivity state, else 0")
              .register(r));
    }
    if (env.builderFactory.isPlaintext()) {
      log.atWarn()
          .addKeyValue("target", target)
          .log(
              "gRPC channel to " + target + " is plaintext: requests and credentials travel clear");
    }
  }

  public String target() {
    return target;
  }

  public ChannelOptions options() {
    return options;
  }

  public String authority() {
    Slot[] ms = members;
    return ms.length > 0 ? ms[0].channel.authority() : target;
  }

  /** Called under the pool's lock; takes the channel back from lingering if it was. */
  public void acquire() {
    leaseCount++;
    leases.set(leaseCount);
    if (lingering != null) {
      lingering.cancel(false);
      lingering = null;
    }
  }

  /** Called under the pool's lock; returns true when this was the last lease. */
  public boolean releaseLease() {
    leaseCount--;
    leases.set(leaseCount);
    return leaseCount == 0;
  }

  /** Called under the pool's lock: whether no lease is held (the entry may be closed). */
  public boolean unleased() {
    return leaseCount == 0;
  }

  /** Called under the pool's lock: the close scheduled while the channel lingers. */
  public void lingering(ScheduledFuture<?> close) {
    this.lingering = close;
  }

  /** Local state only; IDLE before the first call. */
  public ConnectivityState state() {
    if (closed) {
      return ConnectivityState.SHUTDOWN;
    }
    Slot[] ms = members;
    if (ms.length == 0) {
      return ConnectivityState.IDLE;
    }
    if (ms.length == 1) {
      return ms[0].channel.getState(false);
    }
    // The best member speaks for the target: one READY connection means calls can proceed.
    ConnectivityState best = ConnectivityState.SHUTDOWN;
    for (Slot m : ms) {
      ConnectivityState st = m.channel.getState(false);
      if (rank(st) < rank(best)) {
        best = st;
      }
    }
    return best;
  }

  private static int rank(ConnectivityState s) {
    switch (s) {
      case READY:
        return 0;
      case CONNECTING:
        return 1;
      case IDLE:
        return 2;
      case TRANSIENT_FAILURE:
        return 3;
      default:
        return 4;
    }
  }

  public boolean isHealthy() {
    ConnectivityState s = state();
    return s == ConnectivityState.IDLE
        || s == ConnectivityState.READY
        || s == ConnectivityState.CONNECTING;
  }

  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    Slot[] ms = members;
    Slot slot = ms.length == 1 && options.maxConnectionsPerTarget() == 1 ? ms[0] : pick(ms);
    if (slot == null) {
      return FailedCall.of(closedStatus(method), callOptions);
    }
    ConnectivityState state = slot.channel.getState(false);
    if (state == ConnectivityState.SHUTDOWN) {
      slot = rebuild(slot, "shutdown");
      if (slot == null) {
        return FailedCall.of(closedStatus(method), callOptions);
      }
      state = slot.channel.getState(false);
    }
    CallOptions effective = withDefaultDeadline(callOptions);
    AttemptEvidence evidence;
    CallHandle handle = CallHandle.of(callOptions);
    if (handle != null) {
      // The engine already watches this attempt's streams.
      evidence = handle.evidence();
    } else {
      evidence = new AttemptEvidence();
      effective = effective.withStreamTracerFactory(evidence);
    }
    long connectWaitNanos = -1;
    if (state == ConnectivityState.TRANSIENT_FAILURE && !options.connectWait().isZero()) {
      // Reconnect before the call, not after it: the server may well be back while grpc still
      // waits out its own backoff. The call waits for READY instead of failing fast.
      effective = effective.withWaitForReady();
      connectWaitNanos = options.connectWait().toNanos();
    }
    return new TrackedCall<>(
        slot.channel.newCall(method, effective),
        slot,
        state == ConnectivityState.READY,
        method,
        evidence,
        connectWaitNanos);
  }

  /**
   * Gives a call without a deadline the default one. An attempt of Lifeline's engine gives it to
   * the whole logical call instead (once, through its handle), so that however the engine is wired
   * above this lease, retries never get a fresh default deadline each.
   */
  CallOptions withDefaultDeadline(CallOptions callOptions) {
    CallHandle handle = CallHandle.of(callOptions);
    Deadline own = callOptions.getDeadline();
    if (handle != null) {
      Deadline adopted = handle.adoptDefaultDeadline(options.defaultDeadline());
      if (adopted != null && (own == null || adopted.isBefore(own))) {
        return callOptions.withDeadline(adopted);
      }
      return callOptions;
    }
    return own == null
        ? callOptions.withDeadlineAfter(options.defaultDeadline().toNanos(), TimeUnit.NANOSECONDS)
        : callOptions;
  }

  private Status closedStatus(MethodDescriptor<?, ?> method) {
    return Status.FAILED_PRECONDITION.withDescription(
        "lifeline: channel to target "
            + target
            + " is closed (service "
            + method.getServiceName()
            + ", method "
            + method.getFullMethodName()
            + ")");
  }

  /**
   * gRFC A105-like choice: the first member not in TRANSIENT_FAILURE with room for another call;
   * when every usable member is full, a new member if the limit allows, else the least loaded
   * usable member. Returns null once closed.
   */
  private Slot pick(Slot[] ms) {
    int limit = options.maxConcurrentCallsPerConnection();
    Slot leastLoaded = null;
    for (Slot m : ms) {
      ConnectivityState st = m.channel.getState(false);
      if (st == ConnectivityState.TRANSIENT_FAILURE) {
        continue;
      }
      int load = m.inFlight.get();
      if (load < limit) {
        return m;
      }
      if (leastLoaded == null || load < leastLoaded.inFlight.get()) {
        leastLoaded = m;
      }
    }
    if (ms.length < options.maxConnectionsPerTarget()) {
      return addMember(ms);
    }
    return leastLoaded != null ? leastLoaded : ms[0];
  }

  /** Adds a member unless another caller already changed the membership; single-flight. */
  private Slot addMember(Slot[] seen) {
    Slot fresh;
    synchronized (lock) {
      if (closed) {
        return null;
      }
      Slot[] now = members;
      if (now != seen) {
        return now.length == 0 ? null : pick(now);
      }
      fresh = newSlot(now.length);
      Slot[] grown = Arrays.copyOf(now, now.length + 1);
      grown[now.length] = fresh;
      members = grown;
    }
    if (seen.length > 0) {
      log.atInfo()
          .addKeyValue("target", target)
          .addKeyValue("connections", seen.length + 1)
          .log("every connection is at its concurrent-call limit; added one");
    }
    return fresh;
  }

  /**
   * Closes a surplus connection (one that cannot connect, else the newest) once the calls in flight
   * fit in half of what the others carry, so connections added for a burst, or added while one
   * could not connect, do not stay for ever. Single-flight under {@link #lock}.
   */
  private void maybeShrink() {
    Slot[] ms = members;
    if (ms.length < 2) {
      return;
    }
    int load = 0;
    for (Slot m : ms) {
      load += m.inFlight.get();
    }
    if (load * 2 > (ms.length - 1) * options.maxConcurrentCallsPerConnection()) {
      return;
    }
    Slot surplus;
    synchronized (lock) {
      Slot[] now = members;
      if (closed || now != ms) {
        return;
      }
      // A connection that cannot connect goes first; otherwise the newest.
      int victim = now.length - 1;
      for (int i = 0; i < now.length; i++) {
        if (now[i].channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
          victim = i;
          break;
        }
      }
      surplus = now[victim];
      Slot[] kept = new Slot[now.length - 1];
      for (int i = 0, k = 0; i < now.length; i++) {
        if (i != victim) {
          kept[k++] = now[i];
        }
      }
      members = kept;
    }
    log.atInfo()
        .addKeyValue("target", target)
        .addKeyValue("connections", ms.length - 1)
        .log("load fell; closing a surplus connection after its calls drain");
    drain(surplus);
  }

  /** Replaces {@code expected} with a new channel unless another caller already did. */
  private Slot rebuild(Slot expected, String reason) {
    Slot fresh;
    synchronized (lock) {
      if (closed) {
        return null;
      }
      Slot[] now = members;
      int i = Arrays.asList(now).indexOf(expected);
      if (i < 0) {
        // Someone else replaced it already: use its replacement (or any member).
        return now.length == 0 ? null : now[Math.min(now.length - 1, expected.index)];
      }
      fresh = newSlot(i);
      Slot[] copy = now.clone();
      copy[i] = fresh;
      members = copy;
    }
    rebuilds.get(reason).increment();
    log.atWarn()
        .addKeyValue("target", target)
        .addKeyValue("reason", reason)
        .addKeyValue("generation", fresh.generation)
        .log("rebuilt gRPC channel; the old one drains and shuts down");
    drain(expected);
    return fresh;
  }

  /** Manual reconnect: a fresh channel for every lease; the old one drains and shuts down. */
  public void reconnect() {
    for (Slot s : members) {
      rebuild(s, "manual");
    }
  }

  /** Guarded by {@link #lock}. */
  private Slot newSlot(int index) {
    ManagedChannelBuilder<?> builder = env.builderFactory.newBuilder(target);
    builder
        .keepAliveTime(options.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(options.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveWithoutCalls(options.keepAliveWithoutCalls())
        .maxInboundMessageSize(options.maxInboundMessageSize())
        .idleTimeout(options.idleTimeout().toNanos(), TimeUnit.NANOSECONDS)
        // Lifeline retries at the call level, so no service config may bring grpc's own retry
        // policy (attempts would multiply). Retry stays enabled in grpc because its transparent
        // retry of calls that never left the client lives in the same machinery; disableRetry()
        // would switch that off too.
        .disableServiceConfigLookUp()
        .enableRetry();
    ManagedChannel channel = builder.build();
    Slot slot = new Slot(channel, ++generations, index);
    creations.increment();
    log.atInfo()
        .addKeyValue("target", target)
        .addKeyValue("generation", slot.generation)
        .log("created gRPC channel");
    slot.watch(ConnectivityState.IDLE);
    return slot;
  }

  /** Shuts {@code slot}'s channel down once its calls drain, forced after the grace time. */
  private void drain(Slot slot) {
    slot.stopWatching();
    ManagedChannel channel = slot.channel;
    env.draining.add(channel);
    channel.shutdown();
    try {
      env.scheduler.schedule(
          () -> {
            if (!channel.isTerminated()) {
              log.atWarn()
                  .addKeyValue("target", target)
                  .addKeyValue("generation", slot.generation)
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

  /** The last lease is gone (and the linger is over): drain in the background, bounded. */
  public void closeGracefully() {
    for (Slot s : beginShutdownInternal()) {
      drain(s);
    }
    removeMeters();
  }

  /** Pool close, step 1: stop new calls and start draining. */
  public void beginShutdown() {
    for (Slot s : beginShutdownInternal()) {
      s.stopWatching();
      s.channel.shutdown();
    }
    removeMeters();
  }

  /** Pool close, step 2: wait for the drain, at most {@code nanos}. */
  public void awaitTermination(long nanos) throws InterruptedException {
    long deadline = System.nanoTime() + nanos;
    for (Slot s : members) {
      s.channel.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
  }

  /** Pool close, step 3: cancel whatever did not drain. */
  public void forceShutdown() {
    for (Slot s : members) {
      s.channel.shutdownNow();
    }
  }

  private Slot[] beginShutdownInternal() {
    synchronized (lock) {
      if (closed) {
        return NONE;
      }
      closed = true;
      log.atInfo().addKeyValue("target", target).log("closing gRPC channel");
      return members;
    }
  }

  private void removeMeters() {
    for (Meter m : meters) {
      env.registry.remove(m);
    }
  }

  /**
   * The escape hatch for a channel that claims READY while its connection is dead (grpc-java issue
   * 12958). Only a failure the transport produced itself counts: UNAVAILABLE with no response
   * headers or trailers from the server. Anything the server answered proves the connection works
   * and resets the count, whatever its code ("database down" is an answer); a deadline the caller
   * chose says nothing either way.
   */
  private void onOutcome(Slot slot, boolean startedReady, Status status, AttemptEvidence seen) {
    if (status.isOk() || seen.serverAnswered()) {
      slot.consecutiveFailures.set(0);
      return;
    }
    if (!startedReady || status.getCode() != Status.Code.UNAVAILABLE) {
      return;
    }
    if (slot.channel.getState(false) != ConnectivityState.READY) {
      // The channel admits trouble; grpc reconnects it by itself.
      return;
    }
    if (slot.consecutiveFailures.incrementAndGet() >= options.escapeHatchThreshold()) {
      log.atWarn()
          .addKeyValue("target", target)
          .addKeyValue("failures", slot.consecutiveFailures.get())
          .log("channel claims READY but its transport keeps failing calls; rebuilding it");
      rebuild(slot, "stuck_ready");
    }
  }

  /** One generation of the channel, with its reconnect driver. */
  private final class Slot {
    final ManagedChannel channel;
    final long generation;
    final int index;
    final AtomicInteger consecutiveFailures = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();

    /** Guarded by this slot's monitor. */
    private ScheduledFuture<?> pendingReset;

    /** Guarded by this slot's monitor. */
    private int resetAttempt;

    /** Guarded by this slot's monitor. */
    private boolean stopped;

    /** Guarded by this slot's monitor. */
    private ConnectivityState lastState = ConnectivityState.IDLE;

    /** Guarded by this slot's monitor; ticker reading when TRANSIENT_FAILURE began, or -1. */
    private long failingSince = -1;

    /** Calls started while the channel was in TRANSIENT_FAILURE and not closed yet. */
    final AtomicInteger waiting = new AtomicInteger();

    /** Guarded by this slot's monitor; ticker reading of the last backoff reset. */
    private long lastReset = Long.MIN_VALUE;

    Slot(ManagedChannel channel, long generation, int index) {
      this.channel = channel;
      this.generation = generation;
      this.index = index;
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
            lastReset == Long.MIN_VALUE
                || now - lastReset >= options.reconnectBackoff().initial().toNanos();
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

    /** Guarded by this slot's monitor. */
    private void cancelPending() {
      if (pendingReset != null) {
        pendingReset.cancel(false);
        pendingReset = null;
      }
    }
  }

  private final class TrackedCall<ReqT, RespT>
      extends ForwardingClientCall.SimpleForwardingClientCall<ReqT, RespT> {
    private final Slot slot;
    private final boolean startedReady;
    private final MethodDescriptor<ReqT, RespT> method;
    private final AttemptEvidence evidence;
    private final long connectWaitNanos;
    private volatile ScheduledFuture<?> connectTimer;
    private volatile boolean notConnected;

    TrackedCall(
        ClientCall<ReqT, RespT> delegate,
        Slot slot,
        boolean startedReady,
        MethodDescriptor<ReqT, RespT> method,
        AttemptEvidence evidence,
        long connectWaitNanos) {
      super(delegate);
      this.slot = slot;
      this.startedReady = startedReady;
      this.method = method;
      this.evidence = evidence;
      this.connectWaitNanos = connectWaitNanos;
    }

    @Override
    public void start(Listener<RespT> responseListener, Metadata headers) {
      Objects.requireNonNull(responseListener, "responseListener");
      super.start(
          new ForwardingClientCallListener.SimpleForwardingClientCallListener<RespT>(
              responseListener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              ScheduledFuture<?> timer = connectTimer;
              if (timer != null) {
                timer.cancel(false);
              }
              if (connectWaitNanos >= 0) {
                slot.waiting.decrementAndGet();
              }
              slot.inFlight.decrementAndGet();
              onOutcome(slot, startedReady, status, evidence);
              maybeShrink();
              super.onClose(explain(status), trailers);
            }
          },
          headers);
      // Counted only once started: a start that throws never drifts the count.
      slot.inFlight.incrementAndGet();
      if (connectWaitNanos >= 0) {
        slot.waiting.incrementAndGet();
        slot.demand();
        try {
          connectTimer =
              env.scheduler.schedule(
                  this::giveUpConnecting, connectWaitNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
          giveUpConnecting();
        }
      }
    }

    /** The channel did not reconnect within the wait: the call fails, nothing was sent. */
    private void giveUpConnecting() {
      if (!evidence.onTransport()) {
        notConnected = true;
        delegate().cancel("lifeline: not connected within the wait", null);
      }
    }

    /** Failures a caller must diagnose name the target and the service. */
    private Status explain(Status status) {
      if (notConnected && status.getCode() == Status.Code.CANCELLED) {
        return Status.UNAVAILABLE.withDescription(
            "lifeline: target "
                + target
                + " did not reconnect within "
                + TimeUnit.NANOSECONDS.toMillis(connectWaitNanos)
                + " ms (channel in TRANSIENT_FAILURE; nothing was sent) [service="
                + method.getServiceName()
                + ", method="
                + method.getBareMethodName()
                + "]");
      }
      Status.Code c = status.getCode();
      if (c != Status.Code.UNAVAILABLE && c != Status.Code.DEADLINE_EXCEEDED) {
        return status;
      }
      String d = status.getDescription();
      if (d != null && d.startsWith("NOT_ACTIVE")) {
        return status;
      }
      String where =
          "[lifeline target="
              + target
              + ", service="
              + method.getServiceName()
              + ", method="
              + method.getBareMethodName()
              + "]";
      return status.withDescription(d == null ? where : d + " " + where);
    }
  }
}
