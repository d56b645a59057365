package dev.lifeline.grpc;

import dev.lifeline.core.Ticker;
import dev.lifeline.grpc.internal.ManagedTarget;
import dev.lifeline.grpc.internal.ResolvedMembers;
import dev.lifeline.grpc.internal.StickyCall;
import dev.lifeline.grpc.internal.StickyRouter;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * A {@link Channel} over the members of a single-active group that sends every call to the active
 * member and follows it when it moves.
 *
 * <p>Members are either a static list ({@link Builder#member(String)}) or whatever a grpc name
 * resolver reports for a target ({@link Builder#target(String)}); each member is named by the
 * {@code host:port} address that leader hints carry.
 *
 * <p>Routing rules, for unary calls:
 *
 * <ul>
 *   <li>A NOT_ACTIVE answer ({@link NotActive}) means "wrong replica", not failure. If it carries a
 *       leader hint naming a known member, the next attempt goes straight there without delay;
 *       otherwise it goes to the next member after a jittered exponential backoff.
 *   <li>UNAVAILABLE without the marker (a dead or unreachable member) also moves on to the next
 *       member after the backoff: this is how a crashed active is survived.
 *   <li>The first miss of a call is free: its first NOT_ACTIVE without a usable hint, or first
 *       UNAVAILABLE, goes to the next live member at once, not after a backoff. In a handover that
 *       member knows the successor or holds the call until it does (the server side's election
 *       wait), so the call reaches the new active within milliseconds.
 *   <li>Members whose channel is in TRANSIENT_FAILURE come last when looking for the active. When a
 *       hint or the preferred member names one, grpc's reconnect backoff is skipped and the attempt
 *       is sent once the channel is READY, or the member counts as unreachable after {@code
 *       maxBackoff}; the request is never sent before the connection exists.
 *   <li>Dead members are skipped: when a delayed retry picks "the next member", it passes over
 *       members that answered UNAVAILABLE without the marker in this call, unless every member did
 *       (then it rotates through all). A dead mark lapses after 4 &times; {@code maxBackoff} (2 s
 *       by default, longer than a default lease TTL) or as soon as any call of this channel
 *       succeeds on that member, so a member that restarts and wins again is found.
 *   <li>The member that last answered successfully is remembered (preferred), so steady-state calls
 *       go straight to it. When a call succeeds on another member, every call of this channel
 *       waiting out a backoff is woken and retries at once on the new preferred member (its
 *       scheduled retry is cancelled). A call whose attempt fails goes straight to the preferred
 *       member if that changed since the call last tried it (it may have been a standby then). A
 *       delayed retry picks its member when it fires, not when it was scheduled.
 *   <li>Any other status, and success, is handed to the caller unchanged; a retry interceptor
 *       layered outside this channel handles other failures with its own policy.
 *   <li>A call with a deadline keeps failing over until the deadline leaves no room for the next
 *       backoff ({@link Builder#retryUntilDeadline}); a call without one stops after {@link
 *       Builder#maxRetries} retries (the free first hop included).
 *   <li>With a {@link Builder#target}, a call made while no member is known waits for the first
 *       members until its deadline; without a deadline it fails at once with UNAVAILABLE. A leader
 *       hint naming an address that is not a member makes the resolver resolve again.
 * </ul>
 *
 * <p>Streaming calls are not retried: they go to the remembered active member as they are (and fail
 * with UNAVAILABLE while no member is known).
 *
 * <p>Metrics (Micrometer, tag {@code group}): {@code lifeline.sticky.not_active} (NOT_ACTIVE
 * answers), {@code lifeline.sticky.unavailable}, {@code lifeline.sticky.calls} (tag {@code
 * outcome}: success, failure), {@code lifeline.sticky.retries} (summary of retries per call),
 * {@code lifeline.sticky.failover.latency} (timer with p50/p95/p99, from a call's first NOT_ACTIVE
 * or UNAVAILABLE to its success). With {@link Builder#traceRouting(boolean)} every routing decision
 * is logged at INFO.
 *
 * <p>Thread-safe. {@link #close()} fails calls still waiting, stops the name resolver and shuts
 * down the channels this object created (never channels handed in) and its own scheduler.
 */
public final class StickyGroupChannel extends Channel implements AutoCloseable {

  private final StickyRouter router;
  private final List<ManagedChannel> owned;
  private final ScheduledExecutorService ownedScheduler;
  private final ResolvedMembers resolved;

  private StickyGroupChannel(Builder b) {
    List<ManagedChannel> created = new ArrayList<>();
    List<StickyRouter.Member> members = new ArrayList<>();
    for (Map.Entry<String, Channel> e : b.members.entrySet()) {
      Channel ch = e.getValue();
      if (ch == null) {
        ManagedChannel mc = b.channelFactory.apply(e.getKey());
        created.add(mc);
        ch = mc;
      }
      members.add(new StickyRouter.Member(e.getKey(), ch));
    }
    this.owned = List.copyOf(created);
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
    this.router =
        new StickyRouter(
            b.group,
            members,
            b.maxRetries,
            b.initialBackoff.toNanos(),
            b.multiplier,
            b.maxBackoff.toNanos(),
            b.jitter,
            b.retryUntilDeadline,
            b.ticker,
            b.random,
            sched,
            b.registry,
            b.traceRouting);
    if (b.target == null) {
      this.resolved = null;
    } else {
      ResolvedMembers r;
      try {
        r =
            ResolvedMembers.create(
                b.group, b.target, b.resolverRegistry, b.channelFactory, sched, router);
      } catch (IllegalArgumentException e) {
        if (ownedScheduler != null) {
          ownedScheduler.shutdownNow();
        }
        throw e;
      }
      this.resolved = r;
      r.start();
    }
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
    if (method.getType() != MethodDescriptor.MethodType.UNARY) {
      Channel preferred = router.preferredChannel();
      if (preferred == null) {
        // A streaming call made while no member is known fails on start.
        return ManagedTarget.failedCall(
            Status.UNAVAILABLE.withDescription(router.noMembersDescription()));
      }
      return preferred.newCall(method, callOptions);
    }
    return new StickyCall<>(router, method, callOptions);
  }

  /**
   * With {@link Builder#target}, the authority the name resolver reports for the target (as a grpc
   * channel would); with static members, the preferred member's authority.
   */
  @Override
  public String authority() {
    if (resolved != null) {
      return resolved.authority();
    }
    return router.preferredChannel().authority();
  }

  /**
   * The address of the member calls currently go to first; {@code null} only while a channel built
   * with {@link Builder#target} has not resolved any member yet.
   */
  public String preferredMember() {
    return router.preferredAddress();
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
   * Fails calls still waiting (for a backoff or for members) with UNAVAILABLE, stops the name
   * resolver, shuts down the member channels this object created and its own scheduler. Idempotent.
   */
  @Override
  public void close() {
    router.close();
    if (resolved != null) {
      resolved.close();
    }
    for (ManagedChannel c : owned) {
      c.shutdownNow();
    }
    for (ManagedChannel c : owned) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
  }

  /** Mutable builder; not thread-safe. {@link #build()} makes an immutable channel. */
  public static final class Builder {
    private final String group;
    private final Map<String, Channel> members = new LinkedHashMap<>();
    private Function<String, ManagedChannel> channelFactory =
        address -> Grpc.newChannelBuilder(address, InsecureChannelCredentials.create()).build();
    private int maxRetries = 3;
    private Duration initialBackoff = Duration.ofMillis(100);
    private double multiplier = 2.0;
    private Duration maxBackoff = Duration.ofMillis(500);
    private double jitter = 0.2;
    private boolean retryUntilDeadline = true;
    private Ticker ticker = Ticker.system();
    private RandomGenerator random = RandomGenerator.getDefault();
    private ScheduledExecutorService scheduler;
    private MeterRegistry registry = new CompositeMeterRegistry();
    private boolean traceRouting;
    private String target;
    private NameResolverRegistry resolverRegistry;

    private Builder(String group) {
      Objects.requireNonNull(group, "group");
      if (group.isBlank()) {
        throw new IllegalArgumentException("group: '" + group + "' (expected: non-empty)");
      }
      this.group = group;
    }

    /**
     * Adds a member by address ({@code host:port}); its channel comes from the {@link
     * #channelFactory} and is closed by {@link StickyGroupChannel#close()}.
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

    private Builder putMember(String address, Channel channel) {
      Objects.requireNonNull(address, "address");
      if (address.isBlank()) {
        throw new IllegalArgumentException("address: '" + address + "' (expected: host:port)");
      }
      if (members.containsKey(address)) {
        throw new IllegalArgumentException(
            "address: " + address + " (expected: each member once, group " + group + ")");
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
     * its channel comes from the {@link #channelFactory} and is owned by the group channel. A
     * target without a port resolves to port 443, as grpc does.
     *
     * <p>Every resolution result replaces the members (a removed member's channel is shut down
     * gracefully, so a call in flight there finishes). A resolution error, or an answer with no
     * {@code host:port} address, is logged and keeps the current members. A leader hint naming an
     * address that is not a member makes the resolver resolve again. Until the first members
     * arrive, a call with a deadline waits for them (and fails with DEADLINE_EXCEEDED if none
     * arrive in time); a call without a deadline fails at once with UNAVAILABLE "no members
     * resolved for target ...".
     *
     * <p>Default: none; exactly one of {@code target} and {@link #member(String)} is used. The
     * target is parsed by {@link #build()}.
     *
     * @throws IllegalArgumentException if the target is empty
     */
    public Builder target(String target) {
      Objects.requireNonNull(target, "target");
      if (target.isBlank()) {
        throw new IllegalArgumentException(
            "target: '" + target + "' (expected: scheme:///name or host:port)");
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
     * Creates channels for members added by address or resolved from the {@link #target}; the group
     * channel owns and closes them. Default: plaintext, grpc defaults.
     */
    public Builder channelFactory(Function<String, ManagedChannel> factory) {
      this.channelFactory = Objects.requireNonNull(factory, "channelFactory");
      return this;
    }

    /**
     * Retries for a call without a deadline, after a miss without a usable hint (default 3: the
     * first at once on the next member, then after the backoff, as the original's 0, 100, 200 ms;
     * hops that follow a leader hint or the newly found active are free).
     *
     * @throws IllegalArgumentException if negative or above 100
     */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0 || maxRetries > 100) {
        throw new IllegalArgumentException(
            "maxRetries: " + maxRetries + " (expected: >= 0 and <= 100)");
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /**
     * First backoff (default 100 ms).
     *
     * @throws IllegalArgumentException if not in 1 ms .. 10 s
     */
    public Builder initialBackoff(Duration d) {
      Objects.requireNonNull(d, "initialBackoff");
      if (d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException(
            "initialBackoff: " + d + " (expected: >= PT0.001S and <= PT10S)");
      }
      this.initialBackoff = d;
      return this;
    }

    /**
     * Backoff growth per delayed retry (default 2.0).
     *
     * @throws IllegalArgumentException if not in 1.0 .. 10.0
     */
    public Builder multiplier(double m) {
      if (!(m >= 1.0 && m <= 10.0)) {
        throw new IllegalArgumentException("multiplier: " + m + " (expected: >= 1.0 and <= 10.0)");
      }
      this.multiplier = m;
      return this;
    }

    /**
     * Cap of one backoff (default 500 ms, so that a client finds a new active at most about half a
     * second after it is elected).
     *
     * @throws IllegalArgumentException if below 1 ms or above 60 s
     */
    public Builder maxBackoff(Duration d) {
      Objects.requireNonNull(d, "maxBackoff");
      if (d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(Duration.ofSeconds(60)) > 0) {
        throw new IllegalArgumentException(
            "maxBackoff: " + d + " (expected: >= PT0.001S and <= PT1M)");
      }
      this.maxBackoff = d;
      return this;
    }

    /**
     * Relative jitter: each backoff is multiplied by a random factor in [1 - j, 1 + j] (default
     * 0.2).
     *
     * @throws IllegalArgumentException if not in 0.0 .. 1.0
     */
    public Builder jitter(double j) {
      if (!(j >= 0.0 && j <= 1.0)) {
        throw new IllegalArgumentException("jitter: " + j + " (expected: >= 0.0 and <= 1.0)");
      }
      this.jitter = j;
      return this;
    }

    /**
     * Whether a call with a deadline keeps failing over until its deadline instead of stopping
     * after {@link #maxRetries} (default true: a deadline that covers the failover window then
     * means no failed call).
     */
    public Builder retryUntilDeadline(boolean b) {
      this.retryUntilDeadline = b;
      return this;
    }

    /** Monotonic time for the failover timer. Default {@link Ticker#system()}. */
    public Builder ticker(Ticker t) {
      this.ticker = Objects.requireNonNull(t, "ticker");
      return this;
    }

    /** Randomness for jitter. */
    public Builder random(RandomGenerator r) {
      this.random = Objects.requireNonNull(r, "random");
      return this;
    }

    /** Runs delayed retries; default a daemon thread owned (and closed) by the channel. */
    public Builder scheduler(ScheduledExecutorService s) {
      this.scheduler = Objects.requireNonNull(s, "scheduler");
      return this;
    }

    /** Where metrics go; default nowhere. */
    public Builder meterRegistry(MeterRegistry r) {
      this.registry = Objects.requireNonNull(r, "meterRegistry");
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
     * @throws IllegalStateException if neither members nor a target were given, if both were, or if
     *     maxBackoff is below initialBackoff
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
      if (target != null) {
        if (resolverRegistry == null) {
          resolverRegistry = NameResolverRegistry.getDefaultRegistry();
        }
      } else if (members.isEmpty()) {
        throw new IllegalStateException("members: none (expected: >= 1, group " + group + ")");
      }
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalStateException(
            "maxBackoff: " + maxBackoff + " (expected: >= initialBackoff " + initialBackoff + ")");
      }
      return new StickyGroupChannel(this);
    }
  }
}
