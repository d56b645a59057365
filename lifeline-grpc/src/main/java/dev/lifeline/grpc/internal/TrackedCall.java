package dev.lifeline.grpc.internal;

import io.grpc.ClientCall;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Call tracking for one call on a {@link ChannelSlot}: counts it in flight (and as waiting for a
 * reconnect when it started in TRANSIENT_FAILURE), bounds that wait, reports the outcome to its
 * {@link ManagedTarget} for the escape hatch and shrinking, and names the target and method in the
 * failures a caller must diagnose.
 *
 * <p>Follows {@link ClientCall}'s threading rules; the fields written after start are volatile.
 */
final class TrackedCall<ReqT, RespT>
    extends ForwardingClientCall.SimpleForwardingClientCall<ReqT, RespT> {
  private final ManagedTarget owner;
  private final ChannelSlot slot;
  private final boolean startedReady;
  private final MethodDescriptor<ReqT, RespT> method;
  private final AttemptEvidence evidence;
  private final long connectWaitNanos;
  private volatile @Nullable ScheduledFuture<?> connectTimer;
  private volatile boolean notConnected;

  TrackedCall(
      ClientCall<ReqT, RespT> delegate,
      ManagedTarget owner,
      ChannelSlot slot,
      boolean startedReady,
      MethodDescriptor<ReqT, RespT> method,
      AttemptEvidence evidence,
      long connectWaitNanos) {
    super(delegate);
    this.owner = owner;
    this.slot = slot;
    this.startedReady = startedReady;
    this.method = method;
    this.evidence = evidence;
    this.connectWaitNanos = connectWaitNanos;
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata headers) {
    Objects.requireNonNull(responseListener, "responseListener");
    super.start(
        new ForwardingClientCallListener.SimpleForwardingClientCallListener<RespT>(
            responseListener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            ScheduledFuture<?> timer = connectTimer;
            if (timer != null) {
              timer.cancel(false);
            }
            if (connectWaitNanos >= 0) {
              slot.waiting.decrementAndGet();
            }
            slot.inFlight.decrementAndGet();
            owner.onOutcome(slot, startedReady, status, evidence);
            owner.maybeShrink();
            super.onClose(explain(status), trailers);
          }
        },
        headers);
    // Counted only once started: a start that throws never drifts the count.
    slot.inFlight.incrementAndGet();
    if (connectWaitNanos >= 0) {
      slot.waiting.incrementAndGet();
      slot.demand();
      try {
        connectTimer =
            owner
                .environment()
                .scheduler()
                .schedule(this::giveUpConnecting, connectWaitNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        giveUpConnecting();
      }
    }
  }

  /** The channel did not reconnect within the wait: the call fails, nothing was sent. */
  private void giveUpConnecting() {
    if (!evidence.onTransport()) {
      notConnected = true;
      delegate().cancel("lifeline: not connected within the wait", null);
    }
  }

  /** Failures a caller must diagnose name the target and the service. */
  private Status explain(Status status) {
    String target = owner.target();
    if (notConnected && status.getCode() == Status.Code.CANCELLED) {
      return Status.UNAVAILABLE.withDescription(
          "lifeline: target "
              + target
              + " did not reconnect within "
              + TimeUnit.NANOSECONDS.toMillis(connectWaitNanos)
              + " ms (channel in TRANSIENT_FAILURE; nothing was sent) [service="
              + method.getServiceName()
              + ", method="
              + method.getBareMethodName()
              + "]");
    }
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
