package dev.lifeline.grpc.internal;

import dev.lifeline.core.Ticker;
import dev.lifeline.core.spi.LatencyHistogram;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared state of a sticky group channel: the members, the remembered active, the calls waiting out
 * a backoff, backoff and metrics.
 *
 * <p>Thread-safe: members, the preferred member and its generation form one immutable {@code State}
 * replaced under {@code lock} and read without it (a call always sees a consistent snapshot);
 * members are keyed by address, so a call never holds an index that goes stale when the membership
 * changes. Waiters and success counts are concurrent collections. Waiters are called without any
 * router lock held.
 */
public final class StickyRouter {

  private static final Logger log = LoggerFactory.getLogger(StickyRouter.class);

  /** One member of the group: the address leader hints name it by, and its channel. */
  public record Member(String address, Channel channel) {}

  /**
   * One immutable view of the routing state.
   *
   * @param preferred address of the member calls go to first; null only while there are no members
   * @param generation bumped each time a success moves {@code preferred}
   */
  private record State(
      List<Member> members,
      Map<String, Member> byAddress,
      @Nullable String preferred,
      long generation) {}

  final String group;
  final long deadMemberNanos;
  final Ticker ticker;
  final boolean trace;

  private final Object lock = new Object();

  /** The members and who is preferred, replaced whole (copy-on-write); written under lock. */
  private volatile State state;

  private final Map<String, AtomicLong> successCounts = new ConcurrentHashMap<>();
  private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
  private volatile Consumer<String> onUnknownHint = a -> {};
  private volatile Runnable onAllMembersFailed = () -> {};
  private volatile Supplier<String> noMembers;
  private volatile boolean closed;
  private final AtomicLong lastFailoverNanos = new AtomicLong(-1);

  final Counter notActive;
  final Counter unavailable;
  final Counter successes;
  final Counter failures;
  final DistributionSummary retries;
  final Timer failoverLatency;

  /**
   * Creates the router; arguments are validated by the public builder.
   *
   * @param deadMemberNanos how long a member that answered UNAVAILABLE (or whose breaker was open)
   *     is passed over by a call's later attempts, unless it answers someone successfully first
   */
  public StickyRouter(
      String group,
      List<Member> members,
      long deadMemberNanos,
      Ticker ticker,
      MeterRegistry registry,
      boolean trace) {
    this.group = group;
    Map<String, Member> by = new LinkedHashMap<>();
    for (Member m : members) {
      by.put(m.address(), m);
    }
    this.state =
        new State(
            List.copyOf(members),
            Map.copyOf(by),
            members.isEmpty() ? null : members.get(0).address(),
            0);
    this.deadMemberNanos = deadMemberNanos;
    this.noMembers = () -> "no members in group " + group;
    this.ticker = ticker;
    this.trace = trace;
    this.notActive =
        Counter.builder("lifeline.sticky.not_active")
            .description("NOT_ACTIVE answers received from standby members")
            .tag("group", group)
            .register(registry);
    this.unavailable =
        Counter.builder("lifeline.sticky.unavailable")
            .description("UNAVAILABLE answers (not NOT_ACTIVE) that moved a call to another member")
            .tag("group", group)
            .register(registry);
    this.successes =
        Counter.builder("lifeline.sticky.calls")
            .description("Calls through the sticky group channel, by outcome")
            .tag("group", group)
            .tag("outcome", "success")
            .register(registry);
    this.failures =
        Counter.builder("lifeline.sticky.calls")
            .description("Calls through the sticky group channel, by outcome")
            .tag("group", group)
            .tag("outcome", "failure")
            .register(registry);
    this.retries =
        DistributionSummary.builder("lifeline.sticky.retries")
            .description("Attempts beyond the first, per call")
            .tag("group", group)
            .register(registry);
    this.failoverLatency =
        LatencyHistogram.buckets(Timer.builder("lifeline.sticky.failover.latency"))
            .description("From a call's first NOT_ACTIVE or UNAVAILABLE to its success")
            .tag("group", group)
            .register(registry);
  }

  /** The current members, in order; an immutable snapshot. */
  List<Member> members() {
    return state.members();
  }

  /** The current members' addresses, in order. */
  public List<String> memberAddresses() {
    return state.members().stream().map(Member::address).toList();
  }

  int size() {
    return state.members().size();
  }

  /** The member with this address, or null if it is not (or no longer) a member. */
  @Nullable Member member(@Nullable String address) {
    if (address == null) {
      return null;
    }
    State s = state;
    Member m = s.byAddress().get(address);
    if (m != null) {
      return m;
    }
    // A hint may spell an IP literal differently from the resolver ("[::1]" vs "[0:0:...:1]").
    String canonical = canonical(address);
    if (canonical == null) {
      return null;
    }
    for (Member candidate : s.members()) {
      if (canonical.equals(canonical(candidate.address()))) {
        return candidate;
      }
    }
    return null;
  }

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /**
   * The canonical {@code host:port} of an address whose host is an IP literal, or null for host
   * names (which are never looked up here) and unparsable input.
   */
  static @Nullable String canonical(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      return null;
    }
    String host = hostPort.substring(0, colon);
    String port = hostPort.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    boolean literal = host.indexOf(':') >= 0 || IPV4.matcher(host).matches();
    if (!literal) {
      return null;
    }
    try {
      // A literal is parsed, never resolved.
      String normal = InetAddress.getByName(host).getHostAddress();
      return (normal.indexOf(':') >= 0 ? "[" + normal + "]" : normal) + ":" + port;
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** The member calls go to first, or null while the group has no members. */
  @Nullable Member preferredMember() {
    State s = state;
    String preferred = s.preferred();
    return preferred == null ? null : s.byAddress().get(preferred);
  }

  /** Bumped each time a success moves {@link #preferredMember()} to another member. */
  long generation() {
    return state.generation();
  }

  /** The channel of the member calls go to first, or null while the group has no members. */
  public @Nullable Channel preferredChannel() {
    Member m = preferredMember();
    return m == null ? null : m.channel();
  }

  /** The address of the member calls go to first, or null while the group has no members. */
  public @Nullable String preferredAddress() {
    return state.preferred();
  }

  /**
   * Replaces the members, keeping the preferred one if it stays. If it goes, the first new member
   * becomes preferred without a generation bump: that is a guess, not a found active. Calls waiting
   * for members are woken.
   */
  public void setMembers(List<Member> newMembers) {
    synchronized (lock) {
      State s = state;
      Map<String, Member> by = new LinkedHashMap<>();
      for (Member m : newMembers) {
        by.put(m.address(), m);
      }
      String pref = s.preferred;
      if (pref == null || !by.containsKey(pref)) {
        pref = newMembers.isEmpty() ? null : newMembers.get(0).address();
      }
      state = new State(List.copyOf(newMembers), Map.copyOf(by), pref, s.generation);
      // Counts of members gone for good would otherwise pile up under address churn.
      successCounts.keySet().retainAll(by.keySet());
    }
    wakeWaiters();
  }

  /**
   * The successful-call counter of this member at the time of the call; a call compares two
   * readings to learn whether the member answered someone successfully in between.
   */
  long successesOf(String address) {
    AtomicLong n = successCounts.get(address);
    return n == null ? 0 : n.get();
  }

  /**
   * Creates the attempt of a call driven by an engine (its options carry a {@link CallHandle}):
   * picks the member from what the call has seen so far, and learns from the attempt's outcome
   * before the engine sees it. With no members, or once closed, the attempt fails locally.
   */
  public <ReqT, RespT> ClientCall<ReqT, RespT> newAttempt(
      MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    // Only attempts of an engine come here: the group channel routes nothing else.
    CallHandle handle = Objects.requireNonNull(CallHandle.of(options), "CallHandle");
    GroupRoute route = handle.route();
    if (route == null) {
      route = new GroupRoute(this, handle);
      handle.route(route);
    }
    if (closed) {
      handle.attemptTarget(group);
      return FailedCall.of(
          Status.FAILED_PRECONDITION.withDescription(
              "lifeline: sticky group channel "
                  + group
                  + " is closed (method "
                  + method.getFullMethodName()
                  + ")"),
          options);
    }
    Member m = route.pick();
    if (m == null) {
      handle.attemptTarget(group);
      return FailedCall.of(Status.UNAVAILABLE.withDescription(noMembersDescription()), options);
    }
    handle.attemptTarget(m.address());
    return route.attempt(m, m.channel().newCall(method, options));
  }

  /** Registers a call waiting out a backoff or waiting for members. */
  void addWaiter(Waiter w) {
    waiters.add(w);
  }

  void removeWaiter(Waiter w) {
    waiters.remove(w);
  }

  private void wakeWaiters() {
    for (Waiter w : waiters) {
      w.routerChanged();
    }
  }

  /** A hint named an address that is not a member: the member list may be out of date. */
  void unknownHint(String address) {
    trace("hint names no known member; refreshing members", address, "NOT_ACTIVE", 0, 0);
    onUnknownHint.accept(address);
  }

  /** Every member failed a call: a membership source may resolve again. */
  void allMembersFailed() {
    onAllMembersFailed.run();
  }

  /** Where a membership source learns that every known member failed a call. */
  public void onAllMembersFailed(Runnable hook) {
    this.onAllMembersFailed = Objects.requireNonNull(hook, "hook");
  }

  /** Where a membership source (a name resolver) learns of hints naming unknown addresses. */
  public void onUnknownHint(Consumer<String> hook) {
    this.onUnknownHint = Objects.requireNonNull(hook, "hook");
  }

  /** Says why there are no members (a resolver names its target and its last error). */
  public void describeNoMembers(Supplier<String> description) {
    this.noMembers = Objects.requireNonNull(description, "description");
  }

  /** Why there are no members, for a call that cannot be placed. */
  public String noMembersDescription() {
    return noMembers.get();
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Marks the router closed and wakes every waiting call at once, so that it fails now rather than
   * when its backoff ends.
   */
  public void close() {
    closed = true;
    for (Waiter w : waiters) {
      w.routerClosed();
    }
  }

  /** Something a router wakes when its preferred member or its members change. */
  interface Waiter {
    /** Called on the thread that changed the router, with no router lock held. */
    void routerChanged();

    /** The channel was closed: stop waiting. */
    void routerClosed();
  }

  void onSuccess(String address, int retriesUsed, long firstFailureNanos) {
    successCounts.computeIfAbsent(address, a -> new AtomicLong()).incrementAndGet();
    String before;
    boolean changed = false;
    synchronized (lock) {
      State s = state;
      before = s.preferred;
      // A success on a member removed meanwhile does not make it preferred.
      if (!address.equals(before) && s.byAddress().containsKey(address)) {
        state = new State(s.members, s.byAddress, address, s.generation + 1);
        changed = true;
      }
    }
    successes.increment();
    retries.record(retriesUsed);
    if (firstFailureNanos >= 0) {
      long took = ticker.nanos() - firstFailureNanos;
      failoverLatency.record(took, TimeUnit.NANOSECONDS);
      lastFailoverNanos.set(took);
    }
    if (changed) {
      log.atInfo()
          .addKeyValue("group", group)
          .addKeyValue("from", before)
          .addKeyValue("to", address)
          .log("sticky channel now prefers a new active member");
      wakeWaiters();
    }
  }

  void onFailure(int retriesUsed) {
    failures.increment();
    retries.record(retriesUsed);
  }

  /** How long the last failover took, first failure to success, if any call saw one. */
  public Optional<Duration> lastFailover() {
    long n = lastFailoverNanos.get();
    return n < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(n));
  }

  void trace(String decision, String member, String status, long delayNanos, int attempt) {
    if (trace) {
      log.atInfo()
          .addKeyValue("group", group)
          .addKeyValue("attempt", attempt)
          .addKeyValue("member", member)
          .addKeyValue("status", status)
          .addKeyValue("delayMs", TimeUnit.NANOSECONDS.toMillis(delayNanos))
          .log("sticky routing: " + decision);
    }
  }
}
