package dev.lifeline.grpc;

import dev.lifeline.core.Backoff;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.Jitter;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.internal.Check;
import dev.lifeline.grpc.internal.CallHandle;
import dev.lifeline.grpc.internal.FailedCall;
import dev.lifeline.grpc.internal.ResolvedMembers;
import dev.lifeline.grpc.internal.RetryingInterceptor;
import dev.lifeline.grpc.internal.StickyRouter;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Channel} over the members of a single-active group that sends every call to the active
 * member and follows it when it moves.
 *
 * <p>Members are either a static list ({@link Builder#member(String)}) or whatever a grpc name
 * resolver reports for a target ({@link Builder#target(String)}); each member is named by the
 * {@code host:port} address that leader hints carry.
 *
 * <p>Every unary and server-streaming call runs through Lifeline's one call engine, the same as
 * {@link LifelineCalls}: the {@link Builder#callPolicy call policy} decides whether there is a next
 * attempt (retry policy, idempotency from the method's descriptor, retry budget, circuit breaker,
 * deadline, Context), and the group decides where it goes:
 *
 * <ul>
 *   <li>A NOT_ACTIVE answer ({@link NotActive}) means "wrong replica": the request never ran, so
 *       the call always moves, at no cost to the retry budget or the breaker. If it carries a
 *       leader hint naming a known member, the next attempt goes straight there.
 *   <li>An UNAVAILABLE answer without the marker, or a stream the server reset (a crashed or
 *       unreachable member), moves the call only if the request provably never reached the member
 *       (no request headers left this client, or the connection was refused) or the method is
 *       idempotent. A write that may have run is never sent again.
 *   <li>The first miss of a call without a hint goes to the next live member at once; in a handover
 *       that member knows the successor, or holds the call until it does. Later misses wait out the
 *       policy's backoff, and the member is chosen when the retry fires.
 *   <li>The member that last answered successfully is remembered (preferred), so steady-state calls
 *       go straight to it. When a call succeeds on another member, every call of this channel
 *       waiting out a backoff retries at once on the new preferred member.
 *   <li>Members that answered UNAVAILABLE in a call, or whose breaker is open, are passed over by
 *       its later attempts while others remain (for 2 s, or until any call succeeds on them);
 *       members whose channel is in TRANSIENT_FAILURE come after members that can connect.
 *   <li>Breakers are per member: a dead member's breaker opens without failing calls the group's
 *       other members can serve.
 *   <li>Any other status is handed to the caller as the engine decides (see {@link
 *       LifelineCallException}).
 *   <li>With a {@link Builder#target}, a call made while no member is known fails that attempt
 *       locally (nothing was sent) and retries when members arrive or after the backoff, until its
 *       deadline. A leader hint naming an address that is not a member makes the resolver resolve
 *       again.
 * </ul>
 *
 * <p>Wrapping this channel in {@link LifelineCalls} does not add a second engine: the outer calls'
 * policy drives the attempts, and this channel only routes them, so attempts never multiply.
 * Client-streaming and bidi calls go to the preferred member as they are.
 *
 * <p>Metrics (Micrometer, on the policy's registry, tag {@code group}): {@code
 * lifeline.sticky.not_active} (NOT_ACTIVE answers), {@code lifeline.sticky.unavailable}, {@code
 * lifeline.sticky.calls} (tag {@code outcome}: success, failure), {@code lifeline.sticky.retries}
 * (summary of retries per call), {@code lifeline.sticky.failover.latency} (timer with p50/p95/p99,
 * from a call's first NOT_ACTIVE or UNAVAILABLE to its success), besides the engine's {@code
 * lifeline.calls} and friends. With {@link Builder#traceRouting(boolean)} every routing decision is
 * logged at INFO.
 *
 * <p>Thread-safe. {@link #close()} fails calls still waiting, stops the name resolver and shuts
 * down the channels this object created (never channels handed in) and its own scheduler.
 */
public final class StickyGroupChannel extends Channel implements AutoCloseable {

  /** How long a member that answered UNAVAILABLE is passed over by a call's later attempts. */
  private static final Duration DEAD_MEMBER = Duration.ofSeconds(2);

  private final StickyRouter router;

  /** Leases this channel took for members added by address; released by close(). */
  private final List<LifelineChannel> leases;

  private final @Nullable ChannelPool ownedPool;
  private final @Nullable ScheduledExecutorService ownedScheduler;
  private final ScheduledExecutorService scheduler;
  private final @Nullable ResolvedMembers resolved;
  private final CallPolicy policy;
  private final String authority;

  private StickyGroupChannel(Builder b) {
    CallPolicy given = b.policy;
    this.policy = given != null ? given : defaultPolicy(b.group).build();
    ChannelPool pool = b.pool;
    if (pool == null) {
      pool = ChannelPool.builder().meterRegistry(policy.meterRegistry()).build();
      this.ownedPool = pool;
    } else {
      this.ownedPool = null;
    }
    ChannelPool leasing = pool;
    ChannelOptions options = b.options;
    List<LifelineChannel> taken = new ArrayList<>();
    List<StickyRouter.Member> members = new ArrayList<>();
    for (Map.Entry<String, @Nullable Channel> e : b.members.entrySet()) {
      @Nullable Channel ch = e.getValue();
      if (ch == null) {
        LifelineChannel lease = leasing.lease(e.getKey(), options);
        taken.add(lease);
        ch = lease;
      }
      members.add(new StickyRouter.Member(e.getKey(), ch));
    }
    this.leases = List.copyOf(taken);
    ScheduledExecutorService sched = b.scheduler;
    if (sched == null) {
      sched =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "lifeline-sticky-" + b.group);
                t.setDaemon(true);
                return t;
              });
      this.ownedScheduler = sched;
    } else {
      this.ownedScheduler = null;
    }
    this.scheduler = sched;
    this.router =
        new StickyRouter(
            b.group,
            members,
            DEAD_MEMBER.toNanos(),
            policy.ticker(),
            policy.meterRegistry(),
            b.traceRouting);
    String target = b.target;
    if (target == null) {
      this.resolved = null;
    } else {
      NameResolverRegistry registry =
          b.resolverRegistry != null
              ? b.resolverRegistry
              : NameResolverRegistry.getDefaultRegistry();
      ResolvedMembers r;
      try {
        r =
            ResolvedMembers.create(
                b.group,
                target,
                registry,
                address -> leasing.lease(address, options),
                sched,
                router,
                b.refreshInterval);
      } catch (IllegalArgumentException e) {
        if (ownedScheduler != null) {
          ownedScheduler.shutdownNow();
        }
        if (ownedPool != null) {
          ownedPool.close();
        }
        throw e;
      }
      this.resolved = r;
      r.start();
    }
    ResolvedMembers r = resolved;
    this.authority = r != null ? r.authority() : members.get(0).channel().authority();
  }

  /**
   * A policy builder with a group channel's defaults (service {@code group}, {@link
   * #defaultRetryPolicy()}), to adjust and hand to {@link Builder#callPolicy}, e.g. {@code
   * .callPolicy(StickyGroupChannel.defaultPolicy("orders").meterRegistry(registry).build())}.
   */
  public static CallPolicy.Builder defaultPolicy(String group) {
    return CallPolicy.builder().service(group).retryPolicy(defaultRetryPolicy());
  }

  /**
   * The retry policy of a group channel built without {@link Builder#callPolicy}: the AegisSDK
   * client's schedule, 3 retries (4 attempts) after 0, 100 and 200 ms (the first miss moves at once
   * to the next member), growing x2 with ±20 % jitter to at most 500 ms, so that a client finds a
   * new active at most about half a second after it is elected; a call with a deadline keeps trying
   * until its deadline (a deadline that covers the failover window then means no failed call).
   * Retries UNAVAILABLE and NOT_ACTIVE; idempotency comes from each method's descriptor.
   */
  public static RetryPolicy defaultRetryPolicy() {
    return RetryPolicy.builder()
        .maxAttempts(4)
        .backoff(
            Backoff.exponential(Duration.ofMillis(100), Duration.ofMillis(500))
                .withMultiplier(2)
                .withJitter(Jitter.proportional(0.2)))
        .retryOn(FailureKind.UNAVAILABLE, FailureKind.NOT_ACTIVE)
        .retryUntilDeadline(true)
        .build();
  }

  /**
   * Starts a builder for the group with this display name (used in metric tags and logs).
   *
   * @throws IllegalArgumentException if {@code group} is empty
   */
  public static Builder builder(String group) {
    return new Builder(group);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    if (CallHandle.of(callOptions) != null) {
      // An engine (this channel's own, or a LifelineCalls interceptor above it) drives the call:
      // this is one of its attempts, to be routed.
      return router.newAttempt(method, callOptions);
    }
    MethodDescriptor.MethodType type = method.getType();
    if (type == MethodDescriptor.MethodType.UNARY
        || type == MethodDescriptor.MethodType.SERVER_STREAMING) {
      return RetryingInterceptor.engineCall(
          policy, scheduler, authority, method, callOptions, this);
    }
    Channel preferred = router.preferredChannel();
    if (preferred == null) {
      // A streaming call made while no member is known fails on start.
      return FailedCall.of(
          Status.UNAVAILABLE.withDescription(router.noMembersDescription()), callOptions);
    }
    return preferred.newCall(method, callOptions);
  }

  /**
   * With {@link Builder#target}, the authority the name resolver reports for the target (as a grpc
   * channel would); with static members, the first member's authority. It never changes, so the
   * engine's retry budget and its metrics keep one key for the group.
   */
  @Override
  public String authority() {
    return authority;
  }

  /** The policy this channel's own calls run under. */
  public CallPolicy callPolicy() {
    return policy;
  }

  /**
   * The address of the member calls currently go to first; empty only while a channel built with
   * {@link Builder#target} has not resolved any member yet.
   */
  public Optional<String> preferredMember() {
    return Optional.ofNullable(router.preferredAddress());
  }

  /**
   * The current members' addresses, in routing order: the static list, or what the name resolver
   * reported last. Thread-safe; a snapshot.
   */
  public List<String> members() {
    return router.memberAddresses();
  }

  /** How long the last failover took, as seen by a call (first failure to success), if any. */
  public Optional<Duration> lastFailover() {
    return router.lastFailover();
  }

  /**
   * Ends calls still waiting (for a backoff or for members) with FAILED_PRECONDITION, stops the
   * name resolver, releases the leases this channel took on its members (never channels handed in),
   * closes its own pool and scheduler if it made them. Blocks at most the pool's shutdown grace.
   * Idempotent.
   */
  @Override
  public void close() {
    router.close();
    ResolvedMembers r = resolved;
    if (r != null) {
      r.close();
    }
    leases.forEach(LifelineChannel::close);
    if (ownedPool != null) {
      ownedPool.close();
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
  }

  /** Mutable builder; not thread-safe. {@link #build()} makes an immutable channel. */
  public static final class Builder {
    private final String group;
    // A null channel: a member added by address, leased from the pool at build time.
    private final Map<String, @Nullable Channel> members = new LinkedHashMap<>();
    private @Nullable ChannelPool pool;
    private ChannelOptions options = ChannelOptions.defaults();
    private Duration refreshInterval = Duration.ofSeconds(30);
    private @Nullable CallPolicy policy;
    private @Nullable ScheduledExecutorService scheduler;
    private boolean traceRouting;
    private @Nullable String target;
    private @Nullable NameResolverRegistry resolverRegistry;

    private Builder(String group) {
      Objects.requireNonNull(group, "group");
      this.group = Check.nonBlank("group", group);
    }

    /**
     * Adds a member by address ({@code host:port}); its channel is a lease on the {@link
     * #channelPool}, released by {@link StickyGroupChannel#close()}.
     *
     * @throws IllegalArgumentException if the address is empty or already added
     */
    public Builder member(String address) {
      return putMember(address, null);
    }

    /**
     * Adds a member reached over a channel the caller owns (and closes). The address is what
     * standbys' leader hints name for this member.
     *
     * @throws IllegalArgumentException if the address is empty or already added
     */
    public Builder member(String address, Channel channel) {
      return putMember(address, Objects.requireNonNull(channel, "channel"));
    }

    private Builder putMember(String address, @Nullable Channel channel) {
      Objects.requireNonNull(address, "address");
      if (address.isBlank()) {
        throw Check.invalid("address", "'" + address + "'", "host:port");
      }
      if (members.containsKey(address)) {
        throw Check.invalid("address", address, "each member once, group " + group);
      }
      members.put(address, channel);
      return this;
    }

    /**
     * Takes the members from a grpc name resolver instead of a static list: {@code
     * dns:///orders.internal:50051}, a bare {@code orders.internal:50051} (the registry's default
     * scheme, {@code dns}), or any scheme registered with the {@link #nameResolverRegistry}. Each
     * resolved {@link java.net.InetSocketAddress} becomes a member named {@code host:port} (IPv6
     * literals as {@code [addr]:port}), which is the form leader hints must carry to be followed;
     * its channel is a lease on the {@link #channelPool}, released when it goes away. A target
     * without a port resolves to port 443, as grpc does.
     *
     * <p>Every resolution result replaces the members (a removed member's lease is released, and
     * the pool drains its channel, so a call in flight there finishes). A resolution error, or an
     * answer with no {@code host:port} address, keeps the current members and is resolved again
     * after a jittered backoff (1 s growing to 30 s). The target is also resolved again every
     * {@link #refreshInterval}, when a leader hint names an address that is not a member, and when
     * every member has failed a call (a rolling replacement with new addresses). Until the first
     * members arrive, a call's attempts fail locally (nothing is sent) and it retries, woken as
     * soon as members arrive, until its deadline or its attempts run out.
     *
     * <p>Default: none; exactly one of {@code target} and {@link #member(String)} is used. The
     * target is parsed by {@link #build()}.
     *
     * @throws IllegalArgumentException if the target is empty
     */
    public Builder target(String target) {
      Objects.requireNonNull(target, "target");
      if (target.isBlank()) {
        throw Check.invalid("target", "'" + target + "'", "scheme:///name or host:port");
      }
      this.target = target;
      return this;
    }

    /**
     * Where {@link #target} looks up its name resolver. Default: {@link
     * NameResolverRegistry#getDefaultRegistry()} (which knows {@code dns}).
     */
    public Builder nameResolverRegistry(NameResolverRegistry registry) {
      this.resolverRegistry = Objects.requireNonNull(registry, "nameResolverRegistry");
      return this;
    }

    /**
     * Where members added by address or resolved from the {@link #target} get their channels: each
     * member is a lease on this pool, with its reconnect schedule, linger, TLS rule and metrics.
     * Default: a pool of the group channel's own (TLS, metrics to the policy's registry), closed by
     * {@link StickyGroupChannel#close()}.
     */
    public Builder channelPool(ChannelPool pool) {
      this.pool = Objects.requireNonNull(pool, "channelPool");
      return this;
    }

    /** The options of the members' leases. Default {@link ChannelOptions#defaults()}. */
    public Builder channelOptions(ChannelOptions options) {
      this.options = Objects.requireNonNull(options, "channelOptions");
      return this;
    }

    /**
     * How often members from a {@link #target} are resolved again, besides after an error, a hint
     * naming an unknown address, or every member failing. Default 30 s.
     *
     * @throws IllegalArgumentException if below 1 s
     */
    public Builder refreshInterval(Duration interval) {
      this.refreshInterval = Check.atLeast("refreshInterval", interval, Duration.ofSeconds(1));
      return this;
    }

    /**
     * The policy this channel's own calls run under: retry policy (per method too), retry budget,
     * circuit breakers (one per member), static headers, metrics, time and randomness. Default:
     * {@link StickyGroupChannel#defaultPolicy(String) defaultPolicy(group)}{@code .build()}. Calls
     * made through a {@link LifelineCalls} interceptor above this channel use that interceptor's
     * policy instead.
     */
    public Builder callPolicy(CallPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "callPolicy");
      return this;
    }

    /**
     * Runs delayed retries (they only start attempts, never callbacks); default a daemon thread
     * owned (and closed) by the channel.
     */
    public Builder scheduler(ScheduledExecutorService s) {
      this.scheduler = Objects.requireNonNull(s, "scheduler");
      return this;
    }

    /** Logs each call's routing decisions at INFO (default off). */
    public Builder traceRouting(boolean on) {
      this.traceRouting = on;
      return this;
    }

    /**
     * Builds the channel, creating channels for members given by address, or creating and starting
     * the name resolver of the {@link #target}.
     *
     * @throws IllegalStateException if neither members nor a target were given, or if both were
     * @throws IllegalArgumentException if the target does not parse or no registered name resolver
     *     accepts its scheme
     */
    public StickyGroupChannel build() {
      if (target != null && !members.isEmpty()) {
        throw new IllegalStateException(
            "target: "
                + target
                + " and members: "
                + members.keySet()
                + " (expected: either member(...) or target(...), not both, group "
                + group
                + ")");
      }
      if (target == null && members.isEmpty()) {
        throw new IllegalStateException("members: none (expected: >= 1, group " + group + ")");
      }
      return new StickyGroupChannel(this);
    }
  }
}
