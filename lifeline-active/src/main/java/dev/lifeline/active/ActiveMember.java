package dev.lifeline.active;

import dev.lifeline.active.internal.DefaultActiveMember;
import dev.lifeline.core.Ticker;
import dev.lifeline.core.internal.Check;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * One member of a single-active group: it competes for the group's lease, renews it while ACTIVE
 * and steps down to STANDBY as soon as it cannot prove it still holds it.
 *
 * <p>Lifecycle: {@link #start()} begins as STANDBY and tries to acquire at once; {@link #close()}
 * stops admitting, drains in-flight exclusive calls under the still-renewed lease and then releases
 * it, so a standby takes over immediately. Store errors and bugs never stop the member: it retries
 * with backoff, staying STANDBY until it holds a lease.
 *
 * <p>Identity: each member object draws a random {@linkplain #incarnation() incarnation} and writes
 * it beside its id. Two live processes with one id (a surge deploy, a copied configuration, a
 * paused process whose replacement started) are two holders: the second waits until the first one's
 * lease expires or is released, and the first steps down when it sees the second's lease.
 *
 * <p>Metrics (tags {@code service}, {@code group}, {@code member}): gauge {@code
 * lifeline.active.role} (1 active, 0 standby), counters {@code lifeline.active.elections} (tag
 * {@code result}: won, lost), {@code lifeline.active.renew.failures}, {@code
 * lifeline.active.stepdowns}, {@code lifeline.active.store.errors}.
 *
 * <p>Implementations are thread-safe.
 */
public interface ActiveMember extends AutoCloseable {

  /**
   * Starts a builder.
   *
   * @throws IllegalArgumentException if {@code memberId} is not a valid id (see {@link
   *     GroupId#checkId})
   */
  static Builder builder(GroupId group, String memberId, LeaseStore store) {
    return new Builder(group, memberId, store);
  }

  /** The group. */
  GroupId group();

  /** This member's id. */
  String id();

  /** This member object's incarnation: random, unique per object, written beside the id. */
  String incarnation();

  /** The address clients are hinted to when this member is active. */
  String address();

  /** Starts competing for the lease. Idempotent. */
  void start();

  /** The current role. */
  Role role();

  /**
   * Whether this member is ACTIVE and its local lease deadline has not passed, checked against the
   * ticker on each call so that a stalled scheduler cannot extend a tenure. False from the moment
   * {@link #close()} begins.
   */
  boolean isActive();

  /** The fencing token of the current tenure while {@link #isActive()}. */
  OptionalLong fencingToken();

  /**
   * Admits one exclusive call if this member {@linkplain #isActive() is active}. The caller checks
   * {@link ExclusivePermit#isCurrent()} again right before running the call's work, and runs it in
   * {@link ExclusivePermit#newContext} ({@link ExclusiveInterceptor} does both).
   *
   * @return a permit to close when the call completes or is cancelled, or empty on a standby and
   *     once {@link #close()} began
   */
  Optional<ExclusivePermit> tryEnterExclusive();

  /** The lease of the member this one believes active (itself included), if any. */
  Optional<Lease> knownActive();

  /**
   * Reports that a downstream system refused this member's write because it already accepted
   * fencing token {@code downstreamToken}, at or above this tenure's. That happens only when the
   * lease store lost writes it had acknowledged and handed a token out again; without this report
   * the member would stay fenced off, serving nothing, until its lease changes hands. If this
   * member's tenure token is at or below {@code downstreamToken}, it steps down at once (calls in
   * flight are cancelled like at any step-down) and competes again at once, with a lease the store
   * writes above the reported token ({@link LeaseStore#tokenSeenDownstream}). A report of a lower
   * token than the tenure's is old news and changes nothing. Thread-safe; never blocks on the
   * store.
   */
  void fencedOut(long downstreamToken);

  /**
   * Completes once an exclusive call that this member cannot serve right now is worth answering, so
   * that a server can hold such a call through an election instead of sending the client into a
   * blind backoff ({@link ExclusiveInterceptor} does this).
   *
   * <p>Completes at once when this member is active, knows another live active, or is closed.
   * Otherwise an election is under way: no active is known (the lease was released), the known
   * active's lease runs out within {@code maxWait} as far as this member has observed, or this
   * member's own tenure lapsed while a renewal is pending. The stage then completes when that
   * changes (this member wins, a new or renewed lease is observed, the member finishes closing) or
   * after {@code maxWait}, whichever is first. During a graceful {@link #close()} it completes when
   * the successor is known, which is how held calls learn where to go.
   *
   * <p>The "runs out within" window is capped at half of {@code ttl - heartbeat}, so calls are
   * never held while a healthy active keeps renewing. Never completes exceptionally. Thread-safe.
   *
   * @param maxWait the longest wait; zero or negative completes at once
   */
  CompletionStage<Void> awaitLeader(Duration maxWait);

  /** Diagnostics snapshot. */
  GroupState state();

  /**
   * Adds a listener for role changes. Events reach the listeners one at a time, in the order the
   * changes happened.
   */
  void addListener(RoleListener listener);

  /**
   * Graceful stop. At once: stops admitting exclusive calls and reports STANDBY. Then it waits up
   * to the drain timeout for the admitted calls to complete, still renewing the lease so that they
   * stay covered, and releases the lease. If calls still run when the drain timeout passes, their
   * contexts are cancelled and the lease is <em>not</em> released: it expires by itself within one
   * TTL, never while they might still be writing under a live lease elsewhere. Finally, if
   * exclusive calls are being held ({@link #awaitLeader}), it waits until they are answered: until
   * the successor is observed, at most their own wait. Idempotent; never throws for store errors
   * (it logs them).
   */
  @Override
  void close();

  /** Mutable builder; not thread-safe. */
  final class Builder {
    private final GroupId group;
    private final String memberId;
    private final LeaseStore store;
    private String address = "";
    private ActiveOptions options = ActiveOptions.defaults();
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();
    private @Nullable ScheduledExecutorService scheduler;
    private MeterRegistry registry = new CompositeMeterRegistry();

    private Builder(GroupId group, String memberId, LeaseStore store) {
      this.group = Objects.requireNonNull(group, "group");
      this.memberId = GroupId.checkId("memberId", memberId);
      this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * The address ({@code host:port}) standbys hint clients to while this member is active.
     *
     * @throws IllegalArgumentException if it contains whitespace or control characters
     */
    public Builder address(String address) {
      Objects.requireNonNull(address, "address");
      if (!address.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw Check.invalid(
            "address", "'" + address + "'", "host:port, printable ASCII, no spaces");
      }
      this.address = address;
      return this;
    }

    /** Timing; default {@link ActiveOptions#defaults()}. */
    public Builder options(ActiveOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Monotonic time for deadlines. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Wall time for diagnostics. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Runs renewals, polls, the deadline check and the deadlines of exclusive calls' contexts.
     * Default: two daemon threads owned by the member, so the deadline check runs even while a
     * renewal blocks.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Where metrics go; default nowhere. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /** Builds the member (not started). */
    public ActiveMember build() {
      return new DefaultActiveMember(
          group, memberId, address, store, options, ticker, clock, scheduler, registry);
    }
  }
}
