package dev.lifeline.active.internal;

import dev.lifeline.active.ExclusivePermit;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;

/**
 * Runs an admitted exclusive call: every callback in a fresh {@link ExclusivePermit#newContext}
 * (the token, the tenure's current deadline, cancelled at step-down), and a tenure check right
 * before the handler gets a message or the half-close, since admission happened when the headers
 * arrived. The permit is closed when the call completes or is cancelled, not when a callback
 * returns: an asynchronous handler still runs then.
 *
 * <p>Not thread-safe, and needs not be: grpc delivers a call's callbacks one at a time.
 */
public final class ExclusiveListener<ReqT, RespT> extends ServerCall.Listener<ReqT> {

  /** How the interceptor answers and counts a call it stops. */
  public interface Refusals {
    /** The NOT_ACTIVE status of this member. */
    Status notActive();

    /** Trailers naming the member believed active. */
    Metadata hint();

    /** Counts a call stopped after admission. */
    void revoked();
  }

  /** What to do with a message or the half-close of an admitted call. */
  public enum Step {
    /** Hand it to the handler. */
    PROCEED,
    /** Drop it: the call was stopped before. */
    DROP,
    /** Stop the call with NOT_ACTIVE: the handler never ran, so the client may go elsewhere. */
    STOP_NOT_ACTIVE,
    /** Stop the call with ABORTED: the handler may have acted, so it must not be sent elsewhere. */
    STOP_ABORTED
  }

  private final ServerCall.Listener<ReqT> delegate;
  private final ExclusivePermit permit;
  private final Context callContext;
  private final GuardedCall<ReqT, RespT> call;
  private final Refusals refusals;
  private boolean handlerStarted;
  private boolean stopped;
  private boolean terminalDelivered;

  /** Runs {@code delegate}, the handler's listener of {@code call}, under {@code permit}. */
  public ExclusiveListener(
      ServerCall.Listener<ReqT> delegate,
      ExclusivePermit permit,
      Context callContext,
      GuardedCall<ReqT, RespT> call,
      Refusals refusals) {
    this.delegate = delegate;
    this.permit = permit;
    this.callContext = callContext;
    this.call = call;
    this.refusals = refusals;
    this.handlerStarted = handlerRunsAtStart(call.getMethodDescriptor().getType());
  }

  /**
   * Whether grpc-stub runs the handler of {@code type} when the call starts, rather than at
   * half-close: then the handler may have acted before any check at a message, and a call stopped
   * there must not be answered NOT_ACTIVE ("never processed, go elsewhere").
   */
  public static boolean handlerRunsAtStart(MethodDescriptor.MethodType type) {
    return type != MethodDescriptor.MethodType.UNARY
        && type != MethodDescriptor.MethodType.SERVER_STREAMING;
  }

  /**
   * What to do with the next message or the half-close.
   *
   * @param stopped whether the call was stopped before
   * @param tenureCurrent whether the tenure that admitted the call still runs
   * @param handlerStarted whether the handler may have acted already
   */
  public static Step next(boolean stopped, boolean tenureCurrent, boolean handlerStarted) {
    if (stopped) {
      return Step.DROP;
    }
    if (tenureCurrent) {
      return Step.PROCEED;
    }
    return handlerStarted ? Step.STOP_ABORTED : Step.STOP_NOT_ACTIVE;
  }

  private void inTenure(Runnable step) {
    Context.CancellableContext ctx = permit.newContext(callContext);
    Context previous = ctx.attach();
    try {
      step.run();
    } finally {
      ctx.detach(previous);
    }
  }

  /** Whether the handler may get the next message or the half-close; stops the call if not. */
  private boolean mayProceed() {
    Step step = next(stopped, !stopped && permit.isCurrent(), handlerStarted);
    return switch (step) {
      case PROCEED -> true;
      case DROP -> false;
      case STOP_NOT_ACTIVE -> {
        stopped = true;
        refusals.revoked();
        call.closeForInterceptor(refusals.notActive(), refusals.hint());
        permit.close();
        yield false;
      }
      case STOP_ABORTED -> {
        stopped = true;
        refusals.revoked();
        // NOT_ACTIVE would invite a retry elsewhere of work that may be half done. End the call
        // plainly and tell the handler it is cancelled.
        call.closeForInterceptor(
            Status.ABORTED.withDescription(
                "exclusive call stopped: this member's tenure (token "
                    + permit.fencingToken()
                    + ") ended while the call ran; part of it may have been processed"),
            new Metadata());
        terminalDelivered = true;
        inTenure(delegate::onCancel);
        yield false;
      }
    };
  }

  @Override
  public void onMessage(ReqT message) {
    if (mayProceed()) {
      inTenure(() -> delegate.onMessage(message));
    }
  }

  @Override
  public void onHalfClose() {
    if (mayProceed()) {
      handlerStarted = true;
      inTenure(delegate::onHalfClose);
    }
  }

  @Override
  public void onReady() {
    if (!stopped) {
      inTenure(delegate::onReady);
    }
  }

  @Override
  public void onCancel() {
    try {
      if (!terminalDelivered) {
        terminalDelivered = true;
        inTenure(delegate::onCancel);
      }
    } finally {
      permit.close();
    }
  }

  @Override
  public void onComplete() {
    try {
      if (!terminalDelivered) {
        terminalDelivered = true;
        inTenure(delegate::onComplete);
      }
    } finally {
      permit.close();
    }
  }
}
