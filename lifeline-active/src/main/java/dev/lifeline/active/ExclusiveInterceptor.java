package dev.lifeline.active;

import dev.lifeline.grpc.NotActive;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * <p>Metric: {@code lifeline.active.exclusive.calls} (tags {@code service}, {@code group}, {@code
 * outcome}: admitted, not_active). Immutable and thread-safe.
 */
public final class ExclusiveInterceptor implements ServerInterceptor {

  private final ActiveMember member;
  private final Set<String> exclusive;
  private final Counter admitted;
  private final Counter rejected;

  private ExclusiveInterceptor(Builder b) {
    this.member = b.member;
    this.exclusive = Set.copyOf(b.exclusive);
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
    Optional<ExclusivePermit> permit = member.tryEnterExclusive();
    if (permit.isEmpty()) {
      rejected.increment();
      Optional<Lease> active = member.knownActive().filter(l -> !l.heldBy(member.id()));
      call.close(
          NotActive.status(member.id(), member.group().toString()),
          NotActive.trailers(
              active.map(Lease::holderId).orElse(null),
              active.map(Lease::holderAddress).orElse(null)));
      return new ServerCall.Listener<>() {};
    }
    admitted.increment();
    ExclusivePermit p = permit.get();
    AtomicBoolean released = new AtomicBoolean();
    Runnable end =
        () -> {
          if (released.compareAndSet(false, true)) {
            p.close();
          }
        };
    Context ctx = Context.current().withValue(FencingToken.KEY, p.fencingToken());
    ServerCall.Listener<ReqT> delegate;
    try {
      delegate = Contexts.interceptCall(ctx, call, headers, next);
    } catch (RuntimeException e) {
      end.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
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

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private final ActiveMember member;
    private final Set<String> exclusive = new HashSet<>();
    private MeterRegistry registry = new CompositeMeterRegistry();

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
