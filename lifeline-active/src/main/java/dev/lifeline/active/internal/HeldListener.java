package dev.lifeline.active.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.ServerCall;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The listener of an exclusive call held through an election. grpc delivers its callbacks one at a
 * time; the decision arrives on another thread, so both sides synchronize on this object. Starting
 * the handler may deliver the request at once on the deciding thread, before the handler's listener
 * is known: such callbacks are queued and replayed in order. Thread-safe.
 */
public final class HeldListener<ReqT> extends ServerCall.Listener<ReqT> {

  @GuardedBy("this")
  private ServerCall.@Nullable Listener<ReqT> delegate;

  @GuardedBy("this")
  private final ArrayDeque<Consumer<ServerCall.Listener<ReqT>>> pending = new ArrayDeque<>();

  @GuardedBy("this")
  private boolean cancelledBeforeDecision;

  /** A listener that queues what arrives until {@link #decided}. */
  public HeldListener() {}

  /**
   * How long a call may be held: the configured wait, but at most half the call's remaining
   * deadline, so that the client keeps time to act on the answer.
   *
   * @param remainingNanos what is left of the call's deadline; {@link Long#MAX_VALUE} for none
   * @param electionWait the configured longest hold
   */
  public static Duration holdFor(long remainingNanos, Duration electionWait) {
    long half = remainingNanos / 2;
    return half < electionWait.toNanos() ? Duration.ofNanos(Math.max(0, half)) : electionWait;
  }

  /** Runs the decision unless the client gave up meanwhile, then replays what arrived. */
  public synchronized void decided(Supplier<ServerCall.Listener<ReqT>> decision) {
    if (cancelledBeforeDecision) {
      return;
    }
    ServerCall.Listener<ReqT> d = decision.get();
    for (Consumer<ServerCall.Listener<ReqT>> c = pending.poll(); c != null; c = pending.poll()) {
      c.accept(d);
    }
    delegate = d;
  }

  private synchronized void dispatch(Consumer<ServerCall.Listener<ReqT>> callback) {
    ServerCall.Listener<ReqT> d = delegate;
    if (d != null) {
      callback.accept(d);
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
