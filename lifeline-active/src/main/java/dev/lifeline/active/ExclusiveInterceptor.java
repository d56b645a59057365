package dev.lifeline.active;

import dev.lifeline.grpc.NotActive;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Server side of a single-active group: methods marked exclusive (like the original's
 * {@code @exclusive_rpc}) run only on the active member; every other method is served by any
 * member.
 *
 * <p>On a standby, an exclusive call is answered with {@link NotActive#status} plus trailers naming
 * the member believed active (the leader hint). On the active member the call runs with its
 * tenure's token available through {@link FencingToken#current()} and counts as in flight, so that
 * {@link ActiveMember#close()} drains it before releasing the lease.
 *
 * <p>During an election (the lease was released, the known active's lease is about to run out, or
 * this member is handing over in {@link ActiveMember#close()}) an exclusive call is not answered at
 * once: it is held, without a thread, for up to {@link Builder#electionWait} (at most half its
 * remaining deadline) until the outcome is known, then served if this member won or answered
 * NOT_ACTIVE naming the winner. A graceful handover so redirects its clients within milliseconds,
 * and a crash costs them about one TTL, not a TTL plus their backoff.
 *
 * <p>Metrics (tags {@code service}, {@code group}): {@code lifeline.active.exclusive.calls} (tag
 * {@code outcome}: admitted, not_active) and {@code lifeline.active.exclusive.held} (calls held
 * through an election; each ends as admitted or not_active). Immutable and thread-safe.
 */
public final class ExclusiveInterceptor implements ServerInterceptor {

  private final ActiveMember member;
  private final Set<String> exclusive;
  private final Duration electionWait;
  private final Counter admitted;
  private final Counter rejected;
  private final Counter held;

  private ExclusiveInterceptor(Builder b) {
    this.member = b.member;
    this.exclusive = Set.copyOf(b.exclusive);
    this.electionWait = b.electionWait;
    GroupId g = member.group();
    this.admitted =
        Counter.builder("lifeline.active.exclusive.calls")
            .tag("service", g.service())
            .tag("group", g.group())
            .tag("outcome", "admitted")
            .register(b.registry);
    this.rejected =
        Counter.builder("lifeline.active.exclusive.calls")
            .tag("service", g.service())
            .tag("group", g.group())
            .tag("outcome", "not_active")
            .register(b.registry);
    this.held =
        Counter.builder("lifeline.active.exclusive.held")
            .description("Exclusive calls held through an election before being served or answered")
            .tag("service", g.service())
            .tag("group", g.group())
            .register(b.registry);
  }

  /** Starts a builder for the interceptor of {@code member}. */
  public static Builder builder(ActiveMember member) {
    return new Builder(member);
  }

  /** Whether {@code fullMethodName} is marked exclusive. */
  public boolean isExclusive(String fullMethodName) {
    return exclusive.contains(fullMethodName);
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (!exclusive.contains(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    Context callContext = Context.current();
    Optional<ExclusivePermit> permit = member.tryEnterExclusive();
    if (permit.isPresent()) {
      return admit(permit.get(), callContext, call, headers, next);
    }
    CompletableFuture<Void> settled =
        member.awaitLeader(holdFor(callContext.getDeadline())).toCompletableFuture();
    if (settled.isDone()) {
      return decide(callContext, call, headers, next);
    }
    // No request message is delivered before a handler asks for one, so nothing needs buffering:
    // the call just waits, unanswered, until the election settles.
    held.increment();
    HeldListener<ReqT> listener = new HeldListener<>();
    settled.whenComplete(
        (v, e) -> listener.decided(() -> decide(callContext, call, headers, next)));
    return listener;
  }

  /**
   * How long a call may be held: the configured wait, but at most half the call's remaining
   * deadline, so the client keeps time to act on the answer.
   */
  private Duration holdFor(Deadline deadline) {
    if (deadline == null) {
      return electionWait;
    }
    long half = deadline.timeRemaining(TimeUnit.NANOSECONDS) / 2;
    return half < electionWait.toNanos() ? Duration.ofNanos(Math.max(0, half)) : electionWait;
  }

  /** Serves the call if this member is active now, else answers NOT_ACTIVE with the best hint. */
  private <ReqT, RespT> ServerCall.Listener<ReqT> decide(
      Context callContext,
      ServerCall<ReqT, RespT> call,
      Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Optional<ExclusivePermit> permit = member.tryEnterExclusive();
    if (permit.isPresent()) {
      return admit(permit.get(), callContext, call, headers, next);
    }
    rejected.increment();
    Optional<Lease> active = member.knownActive().filter(l -> !l.heldBy(member.id()));
    call.close(
        NotActive.status(member.id(), member.group().toString()),
        NotActive.trailers(
            active.map(Lease::holderId).orElse(null),
            active.map(Lease::holderAddress).orElse(null)));
    return new ServerCall.Listener<>() {};
  }

  private <ReqT, RespT> ServerCall.Listener<ReqT> admit(
      ExclusivePermit p,
      Context callContext,
      ServerCall<ReqT, RespT> call,
      Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    admitted.increment();
    AtomicBoolean released = new AtomicBoolean();
    Runnable end =
        () -> {
          if (released.compareAndSet(false, true)) {
            p.close();
          }
        };
    Context ctx = callContext.withValue(FencingToken.KEY, p.fencingToken());
    ServerCall.Listener<ReqT> delegate;
    try {
      delegate = Contexts.interceptCall(ctx, call, headers, next);
    } catch (RuntimeException e) {
      end.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT>(delegate) {
      @Override
      public void onHalfClose() {
        try {
          super.onHalfClose();
        } finally {
          // Unary handlers complete inside onHalfClose; streaming ones end in onComplete/onCancel.
          if (call.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY) {
            end.run();
          }
        }
      }

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          end.run();
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          end.run();
        }
      }
    };
  }

  /**
   * The listener of a call held through an election. grpc delivers its callbacks one at a time; the
   * decision arrives on another thread, so both sides synchronize on this object. Starting the
   * handler may deliver the request at once on the deciding thread, before the handler's listener
   * is known: such callbacks are queued and replayed in order.
   */
  private static final class HeldListener<ReqT> extends ServerCall.Listener<ReqT> {

    // Guarded by this.
    private ServerCall.Listener<ReqT> delegate;
    private final ArrayDeque<Consumer<ServerCall.Listener<ReqT>>> pending = new ArrayDeque<>();
    private boolean cancelledBeforeDecision;

    /** Runs the decision unless the client gave up meanwhile, then replays what arrived. */
    synchronized void decided(Supplier<ServerCall.Listener<ReqT>> decision) {
      if (cancelledBeforeDecision) {
        return;
      }
      ServerCall.Listener<ReqT> d = decision.get();
      while (!pending.isEmpty()) {
        pending.poll().accept(d);
      }
      delegate = d;
    }

    private synchronized void dispatch(Consumer<ServerCall.Listener<ReqT>> callback) {
      if (delegate != null) {
        callback.accept(delegate);
      } else {
        pending.add(callback);
      }
    }

    @Override
    public void onMessage(ReqT message) {
      dispatch(l -> l.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      dispatch(ServerCall.Listener::onHalfClose);
    }

    @Override
    public synchronized void onCancel() {
      if (delegate == null) {
        // The client gave up (or its deadline passed) while held: no decision is needed any more.
        cancelledBeforeDecision = true;
      }
      dispatch(ServerCall.Listener::onCancel);
    }

    @Override
    public void onComplete() {
      dispatch(ServerCall.Listener::onComplete);
    }

    @Override
    public void onReady() {
      dispatch(ServerCall.Listener::onReady);
    }
  }

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private final ActiveMember member;
    private final Set<String> exclusive = new HashSet<>();
    private MeterRegistry registry = new CompositeMeterRegistry();
    private Duration electionWait = Duration.ofMillis(500);

    private Builder(ActiveMember member) {
      this.member = Objects.requireNonNull(member, "member");
    }

    /** Marks a method exclusive. */
    public Builder exclusive(MethodDescriptor<?, ?> method) {
      exclusive.add(method.getFullMethodName());
      return this;
    }

    /**
     * Marks a method exclusive by full name, {@code package.Service/Method}.
     *
     * @throws IllegalArgumentException if the name has no '/'
     */
    public Builder exclusive(String fullMethodName) {
      Objects.requireNonNull(fullMethodName, "fullMethodName");
      if (fullMethodName.indexOf('/') <= 0 || fullMethodName.endsWith("/")) {
        throw new IllegalArgumentException(
            "fullMethodName: '" + fullMethodName + "' (expected: package.Service/Method)");
      }
      exclusive.add(fullMethodName);
      return this;
    }

    /**
     * How long a standby holds an exclusive call while an election is under way (see {@link
     * ActiveMember#awaitLeader}) before answering NOT_ACTIVE, so that the answer names the new
     * active (or the call is served, if this member wins) instead of sending the client into a
     * blind backoff. Never more than half the call's remaining deadline. Default 500 ms; zero
     * answers at once.
     *
     * @throws IllegalArgumentException if negative or above 10 s
     */
    public Builder electionWait(Duration wait) {
      Objects.requireNonNull(wait, "electionWait");
      if (wait.isNegative() || wait.compareTo(Duration.ofSeconds(10)) > 0) {
        throw new IllegalArgumentException(
            "electionWait: " + wait + " (expected: >= PT0S and <= PT10S)");
      }
      this.electionWait = wait;
      return this;
    }

    /** Where metrics go; default nowhere. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "meterRegistry");
      return this;
    }

    /**
     * Builds the interceptor.
     *
     * @throws IllegalStateException if no method was marked exclusive
     */
    public ExclusiveInterceptor build() {
      if (exclusive.isEmpty()) {
        throw new IllegalStateException(
            "exclusive methods: none (expected: >= 1 for group " + member.group() + ")");
      }
      return new ExclusiveInterceptor(this);
    }
  }
}
