package dev.lifeline.grpc.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.Ticker;
import dev.lifeline.grpc.ChannelBuilderFactory;
import dev.lifeline.grpc.ChannelOptions;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pool entry: the gRPC channel (or, with {@code maxConnectionsPerTarget > 1}, channels) for a
 * target and options, created lazily, rebuilt single-flight when found SHUTDOWN or stuck READY, and
 * reconnected before a call that finds it in TRANSIENT_FAILURE.
 *
 * <p>Thread-safe. The hot path ({@link #newCall}) reads one volatile field and the channel's local
 * state; only creation, rebuilds and shrinking take {@link #lock}. The lease count and the linger
 * change only under this entry's monitor, taken while the pool holds its own lock (pool, then
 * entry), so that the pool's decisions about an entry stay atomic.
 */
public final class ManagedTarget {

  private static final Logger log = LoggerFactory.getLogger(ManagedTarget.class);

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

  private static final ChannelSlot[] NONE = new ChannelSlot[0];

  /**
   * The connections to the target, usually one (see {@link
   * ChannelOptions#maxConnectionsPerTarget()}). Copy-on-write under {@link #lock}; read without it
   * on the call path.
   */
  private volatile ChannelSlot[] members = NONE;

  /** Written under {@link #lock}. */
  private volatile boolean closed;

  @GuardedBy("this")
  private int leaseCount;

  /** The close scheduled after the last release, if any. */
  @GuardedBy("this")
  private @Nullable ScheduledFuture<?> lingering;

  /** Numbers the channels created, for logs. */
  @GuardedBy("lock")
  private long generations;

  private final TargetMeters meters;

  public ManagedTarget(String target, ChannelOptions options, Environment env) {
    this.target = target;
    this.options = options;
    this.env = env;
    this.meters = new TargetMeters(target, this, env.registry);
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

  Environment environment() {
    return env;
  }

  public String authority() {
    ChannelSlot[] ms = members;
    return ms.length > 0 ? ms[0].channel.authority() : target;
  }

  /** Called under the pool's lock; takes the channel back from lingering if it was. */
  public synchronized void acquire() {
    leaseCount++;
    meters.leases(leaseCount);
    if (lingering != null) {
      lingering.cancel(false);
      lingering = null;
    }
  }

  /** Called under the pool's lock; returns true when this was the last lease. */
  public synchronized boolean releaseLease() {
    leaseCount--;
    meters.leases(leaseCount);
    return leaseCount == 0;
  }

  /** Called under the pool's lock: whether no lease is held (the entry may be closed). */
  public synchronized boolean unleased() {
    return leaseCount == 0;
  }

  /** Called under the pool's lock: the close scheduled while the channel lingers. */
  public synchronized void lingering(ScheduledFuture<?> close) {
    this.lingering = close;
  }

  /** Local state only; IDLE before the first call. */
  public ConnectivityState state() {
    if (closed) {
      return ConnectivityState.SHUTDOWN;
    }
    ChannelSlot[] ms = members;
    if (ms.length == 0) {
      return ConnectivityState.IDLE;
    }
    if (ms.length == 1) {
      return ms[0].channel.getState(false);
    }
    return ChannelDecisions.targetState(states(ms));
  }

  private static ConnectivityState[] states(ChannelSlot[] ms) {
    ConnectivityState[] states = new ConnectivityState[ms.length];
    for (int i = 0; i < ms.length; i++) {
      states[i] = ms[i].channel.getState(false);
    }
    return states;
  }

  public boolean isHealthy() {
    ConnectivityState s = state();
    return s == ConnectivityState.IDLE
        || s == ConnectivityState.READY
        || s == ConnectivityState.CONNECTING;
  }

  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    ChannelSlot[] ms = members;
    ChannelSlot slot = ms.length == 1 && options.maxConnectionsPerTarget() == 1 ? ms[0] : pick(ms);
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
        this,
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
    // grpc's getter returns null when the call has no deadline.
    @Nullable Deadline own = callOptions.getDeadline();
    if (handle != null) {
      @Nullable Deadline adopted = handle.adoptDefaultDeadline(options.defaultDeadline());
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
  private @Nullable ChannelSlot pick(ChannelSlot[] ms) {
    int[] loads = new int[ms.length];
    for (int i = 0; i < ms.length; i++) {
      loads[i] = ms[i].inFlight.get();
    }
    int i =
        ChannelDecisions.pick(
            states(ms),
            loads,
            options.maxConcurrentCallsPerConnection(),
            options.maxConnectionsPerTarget());
    return i == ChannelDecisions.ADD_CONNECTION ? addMember(ms) : ms[i];
  }

  /** Adds a member unless another caller already changed the membership; single-flight. */
  private @Nullable ChannelSlot addMember(ChannelSlot[] seen) {
    ChannelSlot fresh;
    synchronized (lock) {
      if (closed) {
        return null;
      }
      ChannelSlot[] now = members;
      if (now != seen) {
        return now.length == 0 ? null : pick(now);
      }
      fresh = newSlot(now.length);
      ChannelSlot[] grown = Arrays.copyOf(now, now.length + 1);
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
  void maybeShrink() {
    ChannelSlot[] ms = members;
    int load = 0;
    for (ChannelSlot m : ms) {
      load += m.inFlight.get();
    }
    if (!ChannelDecisions.shouldShrink(
        ms.length, load, options.maxConcurrentCallsPerConnection())) {
      return;
    }
    ChannelSlot surplus;
    synchronized (lock) {
      ChannelSlot[] now = members;
      if (closed || now != ms) {
        return;
      }
      int victim = ChannelDecisions.shrinkVictim(states(now));
      surplus = now[victim];
      ChannelSlot[] kept = new ChannelSlot[now.length - 1];
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
    surplus.drain();
  }

  /** Replaces {@code expected} with a new channel unless another caller already did. */
  private @Nullable ChannelSlot rebuild(ChannelSlot expected, String reason) {
    ChannelSlot fresh;
    synchronized (lock) {
      if (closed) {
        return null;
      }
      ChannelSlot[] now = members;
      int i = Arrays.asList(now).indexOf(expected);
      if (i < 0) {
        // Someone else replaced it already: use its replacement (or any member).
        return now.length == 0 ? null : now[Math.min(now.length - 1, expected.index)];
      }
      fresh = newSlot(i);
      ChannelSlot[] copy = now.clone();
      copy[i] = fresh;
      members = copy;
    }
    meters.rebuilt(reason);
    log.atWarn()
        .addKeyValue("target", target)
        .addKeyValue("reason", reason)
        .addKeyValue("generation", fresh.generation)
        .log("rebuilt gRPC channel; the old one drains and shuts down");
    expected.drain();
    return fresh;
  }

  /** Manual reconnect: a fresh channel for every lease; the old one drains and shuts down. */
  public void reconnect() {
    for (ChannelSlot s : members) {
      rebuild(s, "manual");
    }
  }

  @GuardedBy("lock")
  private ChannelSlot newSlot(int index) {
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
    ChannelSlot slot =
        new ChannelSlot(channel, ++generations, index, target, options, env, meters.resets);
    meters.creations.increment();
    log.atInfo()
        .addKeyValue("target", target)
        .addKeyValue("generation", slot.generation)
        .log("created gRPC channel");
    slot.watch(ConnectivityState.IDLE);
    return slot;
  }

  /** The last lease is gone (and the linger is over): drain in the background, bounded. */
  public void closeGracefully() {
    for (ChannelSlot s : beginShutdownInternal()) {
      s.drain();
    }
    removeMeters();
  }

  /** Pool close, step 1: stop new calls and start draining. */
  public void beginShutdown() {
    for (ChannelSlot s : beginShutdownInternal()) {
      s.stopWatching();
      s.channel.shutdown();
    }
    removeMeters();
  }

  /** Pool close, step 2: wait for the drain, at most {@code nanos}. */
  public void awaitTermination(long nanos) throws InterruptedException {
    long deadline = System.nanoTime() + nanos;
    for (ChannelSlot s : members) {
      s.channel.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
  }

  /** Pool close, step 3: cancel whatever did not drain. */
  public void forceShutdown() {
    for (ChannelSlot s : members) {
      s.channel.shutdownNow();
    }
  }

  private ChannelSlot[] beginShutdownInternal() {
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
    meters.remove();
  }

  /**
   * A call on {@code slot} ended: feed the escape hatch (see {@link ChannelDecisions#escapeHatch}).
   */
  void onOutcome(ChannelSlot slot, boolean startedReady, Status status, AttemptEvidence seen) {
    switch (ChannelDecisions.escapeHatch(
        status.getCode(), seen.serverAnswered(), startedReady, slot.channel.getState(false))) {
      case RESET -> {
        slot.consecutiveFailures.set(0);
        return;
      }
      case IGNORE -> {
        return;
      }
      case COUNT -> {}
    }
    if (slot.consecutiveFailures.incrementAndGet() >= options.escapeHatchThreshold()) {
      log.atWarn()
          .addKeyValue("target", target)
          .addKeyValue("failures", slot.consecutiveFailures.get())
          .log("channel claims READY but its transport keeps failing calls; rebuilding it");
      rebuild(slot, "stuck_ready");
    }
  }
}
