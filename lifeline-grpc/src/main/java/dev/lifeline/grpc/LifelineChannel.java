package dev.lifeline.grpc;

import dev.lifeline.grpc.internal.CallHandle;
import dev.lifeline.grpc.internal.FailedCall;
import dev.lifeline.grpc.internal.ManagedTarget;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.MethodDescriptor;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lease on a pooled, managed gRPC channel. It is an {@link io.grpc.Channel}, so every generated
 * stub (blocking, future, async) works on it: {@code ItemServiceGrpc.newBlockingStub(lease)}.
 *
 * <p>Before each call the lease checks the channel's local state (no network): IDLE, CONNECTING,
 * READY and TRANSIENT_FAILURE proceed, a channel found SHUTDOWN underneath is rebuilt once for all
 * callers. Calls without a deadline get {@link ChannelOptions#defaultDeadline()}, applied before
 * the lease's interceptors run.
 *
 * <p>{@link #close()} releases only this lease: the channel stays open while other leases hold it,
 * and the last release drains in-flight calls for at most {@link ChannelOptions#shutdownGrace()}.
 * Calls on a closed lease fail with {@code FAILED_PRECONDITION}.
 *
 * <p>Thread-safe.
 */
public final class LifelineChannel extends Channel implements AutoCloseable {

  private final ManagedTarget managed;
  private final ChannelPool pool;
  private final Channel front;
  private final AtomicBoolean closed = new AtomicBoolean();

  LifelineChannel(ManagedTarget managed, ChannelPool pool, List<ClientInterceptor> interceptors) {
    this.managed = managed;
    this.pool = pool;
    Channel guarded = new GuardedChannel();
    this.front =
        interceptors.isEmpty() ? guarded : ClientInterceptors.intercept(guarded, interceptors);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    // The default deadline is applied before the lease's interceptors, so that a retry
    // interceptor budgets its attempts against it. (An engine wired above the lease instead gets
    // it through its attempts' handle, in ManagedTarget.)
    CallOptions effective =
        callOptions.getDeadline() == null && CallHandle.of(callOptions) == null
            ? callOptions.withDeadlineAfter(
                managed.options().defaultDeadline().toNanos(), TimeUnit.NANOSECONDS)
            : callOptions;
    return front.newCall(method, effective);
  }

  @Override
  public String authority() {
    return managed.authority();
  }

  /**
   * A view of this lease with {@code interceptors} layered on top (the first in the list runs
   * first), sharing this lease's channel: no new pool entry and no new connection. Closing this
   * lease also stops the view.
   */
  public Channel intercept(List<ClientInterceptor> interceptors) {
    Objects.requireNonNull(interceptors, "interceptors");
    return ClientInterceptors.intercept(this, List.copyOf(interceptors));
  }

  /** The target string this lease was taken for. */
  public String target() {
    return managed.target();
  }

  /** The options of the pooled channel. */
  public ChannelOptions options() {
    return managed.options();
  }

  /**
   * Whether a call made now would proceed without a rebuild, from local state only: never connects
   * and works before the first call (an unused channel reports IDLE and is healthy). False once
   * this lease is closed or when the channel is SHUTDOWN or in TRANSIENT_FAILURE.
   */
  public boolean isHealthy() {
    return !closed.get() && managed.isHealthy();
  }

  /** The channel's connectivity state, read locally; IDLE before the first call. */
  public ConnectivityState state() {
    return closed.get() ? ConnectivityState.SHUTDOWN : managed.state();
  }

  /**
   * Replaces the pooled channel with a fresh one for every lease of this target. The old channel is
   * shut down after its in-flight calls drain (bounded by the grace time), never leaked.
   *
   * @throws IllegalStateException if this lease is closed
   */
  public void reconnect() {
    if (closed.get()) {
      throw new IllegalStateException("lease on target " + managed.target() + " is closed");
    }
    managed.reconnect();
  }

  /** Releases this lease; idempotent. The last lease of a target closes its channel gracefully. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      pool.release(managed);
    }
  }

  @Override
  public String toString() {
    return "LifelineChannel{target=" + managed.target() + ", closed=" + closed.get() + '}';
  }

  private final class GuardedChannel extends Channel {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
        MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
      if (closed.get()) {
        return FailedCall.of(
            io.grpc.Status.FAILED_PRECONDITION.withDescription(
                "lifeline: lease on target "
                    + managed.target()
                    + " is closed (method "
                    + method.getFullMethodName()
                    + ")"),
            callOptions);
      }
      return managed.newCall(method, callOptions);
    }

    @Override
    public String authority() {
      return managed.authority();
    }
  }
}
