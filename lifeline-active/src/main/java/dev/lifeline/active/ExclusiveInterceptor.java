package dev.lifeline.active;

import dev.lifeline.active.internal.ExclusiveListener;
import dev.lifeline.active.internal.GuardedCall;
import dev.lifeline.active.internal.HeldListener;
import dev.lifeline.core.internal.Check;
import dev.lifeline.grpc.NotActive;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server side of a single-active group: methods marked exclusive (like the original's
 * {@code @exclusive_rpc}) run only on the active member; every other method is served by any
 * member.
 *
 * <p>On a standby, an exclusive call is answered with {@link NotActive#status} plus trailers naming
 * the member believed active (the leader hint). On the active member the call is admitted when its
 * headers arrive and counts as in flight until it completes or is cancelled, so that {@link
 * ActiveMember#close()} drains it and never releases the lease under it.
 *
 * <p>Admission is not enough: the handler runs later (a unary handler at half-close, after the
 * request arrived), possibly after the tenure ended. So the tenure and token are checked again
 * right before each message and the half-close reach the handler. If the tenure ended and the
 * handler has not run yet (unary and server-streaming calls before half-close), the call is
 * answered NOT_ACTIVE, which is safe to retry elsewhere. If the handler may have acted already
 * (client-streaming and bidi calls, whose handler grpc-stub starts with the call), the call is
 * closed with ABORTED and the handler gets {@code onCancel}. Every callback runs in a context
 * carrying the token ({@link FencingToken#current()}), whose deadline is the tenure's local
 * deadline and which is cancelled when the tenure ends: see {@link FencingToken} for what a handler
 * must do with both.
 *
 * <p>During an election (the lease was released, the known active's lease is about to run out, or
 * this member is handing over in {@link ActiveMember#close()}) an exclusive call is not answered at
 * once: it is held, without a thread, for up to {@link Builder#electionWait} (at most half its
 * remaining deadline) until the outcome is known, then served if this member won or answered
 * NOT_ACTIVE naming the winner. A graceful handover so redirects its clients within milliseconds,
 * and a crash costs them about one TTL, not a TTL plus their backoff.
 *
 * <p>Metrics (tags {@code service}, {@code group}): {@code lifeline.active.exclusive.calls} (tag
 * {@code outcome}: admitted, not_active, revoked: admitted, then stopped because the tenure ended
 * before the handler could go on) and {@code lifeline.active.exclusive.held} (calls held through an
 * election; each ends as admitted or not_active). Immutable and thread-safe.
 */
public final class ExclusiveInterceptor implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(ExclusiveInterceptor.class);

  private final ActiveMember member;
  private final Set<String> exclusive;
  private final Duration electionWait;
  private final Counter admitted;
  private final Counter rejected;
  private final Counter held;
  private final Counter revoked;
  private final ExclusiveListener.Refusals refusals =
      new ExclusiveListener.Refusals() {
        @Override
        public Status notActive() {
          return ExclusiveInterceptor.this.notActive();
        }

        @Override
        public Metadata hint() {
          return ExclusiveInterceptor.this.hint();
        }

        @Override
        public void revoked() {
          revoked.increment();
        }
      };

  private ExclusiveInterceptor(Builder b) {
    this.member = b.member;
    this.exclusive = Set.copyOf(b.exclusive);
    this.electionWait = b.electionWait;
    GroupId g = member.group();
    this.admitted =
        Counter.builder("lifeline.active.exclusive.calls")
            .description("Exclusive calls: admitted, answered NOT_ACTIVE, or revoked mid-call")
            .tag("service", g.service())
            .tag("group", g.group())
            .tag("outcome", "admitted")
            .register(b.registry);
    this.rejected =
        Counter.builder("lifeline.active.exclusive.calls")
            .description("Exclusive calls: admitted, answered NOT_ACTIVE, or revoked mid-call")
            .tag("service", g.service())
            .tag("group", g.group())
            .tag("outcome", "not_active")
            .register(b.registry);
    this.revoked =
        Counter.builder("lifeline.active.exclusive.calls")
            .description("Exclusive calls: admitted, answered NOT_ACTIVE, or revoked mid-call")
            .tag("service", g.service())
            .tag("group", g.group())
            .tag("outcome", "revoked")
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
    CompletableFuture<Void> unused =
        settled.whenComplete((v, e) -> decideHeld(listener, callContext, call, headers, next));
    return listener;
  }

  /**
   * Decides a held call on the thread that settled the election. What it throws would be swallowed
   * by the future and leave the call unanswered until its deadline, so it closes the call instead,
   * as grpc does for a handler that fails to start.
   */
  private <ReqT, RespT> void decideHeld(
      HeldListener<ReqT> listener,
      Context callContext,
      ServerCall<ReqT, RespT> call,
      Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    try {
      listener.decided(() -> decide(callContext, call, headers, next));
    } catch (RuntimeException | Error e) {
      log.atWarn()
          .setCause(e)
          .addKeyValue("method", call.getMethodDescriptor().getFullMethodName())
          .log("a held exclusive call failed to start its handler; closing it");
      listener.decided(() -> new ServerCall.Listener<ReqT>() {});
      call.close(
          Status.UNKNOWN.withDescription("handler failed to start").withCause(e), new Metadata());
    }
  }

  /** How long a call with {@code deadline} may be held (see {@link HeldListener#holdFor}). */
  private Duration holdFor(@Nullable Deadline deadline) {
    return HeldListener.holdFor(
        deadline == null ? Long.MAX_VALUE : deadline.timeRemaining(TimeUnit.NANOSECONDS),
        electionWait);
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
    call.close(notActive(), hint());
    return new ServerCall.Listener<>() {};
  }

  private <ReqT, RespT> ServerCall.Listener<ReqT> admit(
      ExclusivePermit p,
      Context callContext,
      ServerCall<ReqT, RespT> call,
      Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    admitted.increment();
    GuardedCall<ReqT, RespT> guarded = new GuardedCall<>(call);
    ServerCall.Listener<ReqT> delegate;
    Context.CancellableContext ctx = p.newContext(callContext);
    Context previous = ctx.attach();
    try {
      delegate = next.startCall(guarded, headers);
    } catch (RuntimeException | Error e) {
      p.close();
      throw e;
    } finally {
      ctx.detach(previous);
    }
    return new ExclusiveListener<>(delegate, p, callContext, guarded, refusals);
  }

  private Status notActive() {
    return NotActive.status(member.id(), member.group().toString());
  }

  /** Trailers naming the member this one believes active, unless that is itself. */
  private Metadata hint() {
    Optional<Lease> active =
        member.knownActive().filter(l -> !l.holder().incarnation().equals(member.incarnation()));
    return NotActive.trailers(
        active.map(Lease::holderId).orElse(null), active.map(Lease::holderAddress).orElse(null));
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
        throw Check.invalid("fullMethodName", "'" + fullMethodName + "'", "package.Service/Method");
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
      this.electionWait =
          Check.inRange("electionWait", wait, Duration.ZERO, Duration.ofSeconds(10));
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
