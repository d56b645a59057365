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
import java.util.Objects;
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
 * kept reconnecting on Lifeline's own backoff while in TRANSIENT_FAILURE.
 *
 * <p>Thread-safe. The hot path ({@link #newCall}) reads one volatile field and the channel's local
 * state; only creation and rebuilds take {@link #lock}.
 */
public final class ManagedTarget {

  private static final Logger log = LoggerFactory.getLogger(ManagedTarget.class);

  /** What every entry of one pool shares. Immutable. */
  public static final class Environment {
    final ChannelBuilderFactory builderFactory;
    final ScheduledExecutorService scheduler;
    final Ticker ticker;
    final DoubleSupplier random;
    final MeterRegistry registry;

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
  }

  private final String target;
  private final ChannelOptions options;
  private final Environment env;
  private final ReconnectBackoff backoff;
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

  /** Guarded by {@link #lock}; numbers the channels created, for logs. */
  private long generations;

  private final AtomicInteger leases = new AtomicInteger();
  private final Counter created;
  private final Counter resets;
  private final List<Meter> meters = new ArrayList<>();

  public ManagedTarget(String target, ChannelOptions options, Environment env) {
    this.target = target;
    this.options = options;
    this.env = env;
    this.backoff = new ReconnectBackoff(options, env.random);
    MeterRegistry r = env.registry;
    this.created = r.counter("lifeline.channel.created", "target", target);
    this.resets = r.counter("lifeline.channel.backoff.resets", "target", target);
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

  /** Called under the pool's lock. */
  public void acquire() {
    leaseCount++;
    leases.set(leaseCount);
  }

  /** Called under the pool's lock; returns true when this was the last lease. */
  public boolean releaseLease() {
    leaseCount--;
    leases.set(leaseCount);
    return leaseCount == 0;
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
    return new TrackedCall<>(
        slot.channel.newCall(method, effective), slot, state == ConnectivityState.READY, method);
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
      fresh = newSlot();
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
      fresh = newSlot(expected.index);
      Slot[] copy = now.clone();
      copy[i] = fresh;
      members = copy;
    }
    env.registry
        .counter("lifeline.channel.rebuilds", "target", target, "reason", reason)
        .increment();
    log.atWarn()
        .addKeyValue("target", target)
        .addKeyValue("reason", reason)
        .addKeyValue("generation", fresh.generation)
        .log("rebuilt gRPC channel; the old one drains and shuts down");
    if (expected != null) {
      drain(expected);
    }
    return fresh;
  }

  /** Manual reconnect: a fresh channel for every lease; the old one drains and shuts down. */
  public void reconnect() {
    for (Slot s : members) {
      rebuild(s, "manual");
    }
  }

  /** Guarded by {@link #lock}. */
  private Slot newSlot() {
    return newSlot(members.length);
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
    created.increment();
    log.atInfo()
        .addKeyValue("target", target)
        .addKeyValue("generation", slot.generation)
        .log("created gRPC channel");
    slot.watch(ConnectivityState.IDLE);
    return slot;
  }

  private void drain(Slot slot) {
    slot.stopWatching();
    slot.channel.shutdown();
    try {
      env.scheduler.schedule(
          () -> {
            if (!slot.channel.isTerminated()) {
              log.atWarn()
                  .addKeyValue("target", target)
                  .addKeyValue("generation", slot.generation)
                  .addKeyValue("graceMillis", options.shutdownGrace().toMillis())
                  .log("in-flight calls did not drain within the grace time; cancelling them");
              slot.channel.shutdownNow();
            }
          },
          options.shutdownGrace().toNanos(),
          TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      slot.channel.shutdownNow();
    }
  }

  /** The last lease is gone: drain in the background, bounded by the grace time. */
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

  private void onOutcome(Slot slot, boolean startedReady, Status status) {
    Status.Code code = status.getCode();
    if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
      slot.consecutiveFailures.set(0);
      return;
    }
    // NOT_ACTIVE is an application answer from a healthy server, not a stuck connection.
    String d = status.getDescription();
    if (!startedReady || (d != null && d.startsWith("NOT_ACTIVE"))) {
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
          .addKeyValue("lastCode", code)
          .log("channel claims READY but calls keep failing; rebuilding it (grpc-java #12958)");
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
      }
      logTransition(before, now, downNanos);
      if (now == ConnectivityState.TRANSIENT_FAILURE) {
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
            .log("gRPC channel cannot connect; Lifeline keeps resetting its reconnect backoff");
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

    void scheduleReset() {
      synchronized (this) {
        if (stopped || pendingReset != null) {
          return;
        }
        long delay = backoff.delayNanos(resetAttempt++);
        try {
          pendingReset = env.scheduler.schedule(this::resetTick, delay, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          stopped = true;
        }
      }
    }

    private void resetTick() {
      synchronized (this) {
        pendingReset = null;
        if (stopped) {
          return;
        }
      }
      if (channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
        return;
      }
      channel.resetConnectBackoff();
      resets.increment();
      log.atDebug()
          .addKeyValue("target", target)
          .addKeyValue("generation", generation)
          .log("reset gRPC connect backoff");
      // grpc may keep reporting TRANSIENT_FAILURE while it retries, so no state change would
      // wake us: keep the schedule going until the channel leaves that state.
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

    TrackedCall(
        ClientCall<ReqT, RespT> delegate,
        Slot slot,
        boolean startedReady,
        MethodDescriptor<ReqT, RespT> method) {
      super(delegate);
      this.slot = slot;
      this.startedReady = startedReady;
      this.method = method;
    }

    @Override
    public void start(Listener<RespT> responseListener, Metadata headers) {
      Objects.requireNonNull(responseListener, "responseListener");
      slot.inFlight.incrementAndGet();
      super.start(
          new ForwardingClientCallListener.SimpleForwardingClientCallListener<RespT>(
              responseListener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              slot.inFlight.decrementAndGet();
              onOutcome(slot, startedReady, status);
              super.onClose(explain(status), trailers);
            }
          },
          headers);
    }

    /** Failures a caller must diagnose name the target and the service. */
    private Status explain(Status status) {
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
