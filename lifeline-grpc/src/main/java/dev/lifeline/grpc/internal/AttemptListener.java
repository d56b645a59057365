package dev.lifeline.grpc.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.spi.AttemptOutcome;
import dev.lifeline.core.spi.CallExecution;
import dev.lifeline.core.spi.Decision;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One attempt of an {@link EngineCall}, as grpc reports it: what each of its events means for the
 * logical call. Events of an attempt the call has moved past, or of a call that ended, are dropped;
 * response headers are held until the call commits (the attempt's first response message) or the
 * attempt succeeds; a server stream is judged by the breaker once it is established; and the
 * attempt's close becomes the engine's next step: the success, a retry after a wait, or the failure
 * the caller sees ({@link EngineDecisions#afterLastAttempt}).
 *
 * <p>Thread-safe: it reads and changes its call's state under the call's lock, and calls the
 * caller's listener without it. grpc calls a listener serially, and attempts of one call never
 * overlap, so the caller's listener sees one attempt's events at a time.
 */
final class AttemptListener<ReqT, RespT> extends ClientCall.Listener<RespT> {
  private final EngineCall<ReqT, RespT> owner;
  private final ClientCall<ReqT, RespT> call;
  private final AttemptEvidence evidence;

  @GuardedBy("owner.lock")
  private @Nullable Metadata heldHeaders;

  @GuardedBy("owner.lock")
  private boolean established;

  AttemptListener(
      EngineCall<ReqT, RespT> owner, ClientCall<ReqT, RespT> call, AttemptEvidence evidence) {
    this.owner = owner;
    this.call = call;
    this.evidence = evidence;
  }

  @Override
  public void onHeaders(Metadata h) {
    ClientCall.Listener<RespT> l;
    synchronized (owner.lock) {
      if (!owner.isLive(call)) {
        return;
      }
      establish();
      if (!owner.isCommitted()) {
        heldHeaders = h;
        return;
      }
      l = owner.startedListener();
    }
    l.onHeaders(h);
  }

  @Override
  public void onMessage(RespT message) {
    ClientCall.Listener<RespT> l;
    Metadata toRelease = null;
    synchronized (owner.lock) {
      if (!owner.isLive(call)) {
        return;
      }
      establish();
      if (owner.commit()) {
        toRelease = heldHeaders != null ? heldHeaders : new Metadata();
        heldHeaders = null;
      }
      l = owner.startedListener();
    }
    if (toRelease != null) {
      l.onHeaders(toRelease);
    }
    l.onMessage(message);
  }

  /** A server stream is judged by the breaker once, when it is established. */
  @GuardedBy("owner.lock")
  private void establish() {
    if (!established && owner.isServerStreaming()) {
      established = true;
      owner.running().streamEstablished();
    }
  }

  @Override
  public void onReady() {
    ClientCall.Listener<RespT> l;
    synchronized (owner.lock) {
      if (!owner.isLive(call)) {
        return;
      }
      l = owner.startedListener();
    }
    l.onReady();
  }

  @Override
  public void onClose(Status status, Metadata trailers) {
    ClientCall.Listener<RespT> l;
    Metadata released = null;
    Object waiting = null;
    boolean awaitGroup = false;
    Status failed = null;
    synchronized (owner.lock) {
      if (!owner.isLive(call)) {
        return;
      }
      owner.attemptOver();
      l = owner.startedListener();
      CallExecution e = owner.running();
      if (status.isOk()) {
        e.succeeded();
        owner.markClosed();
        if (!owner.isCommitted()) {
          released = heldHeaders;
        }
      } else {
        Decision decision = e.afterAttempt(outcome(status, trailers));
        if (decision.retry()) {
          waiting = owner.wait.schedule(decision.delay());
          awaitGroup = !decision.delay().isZero();
        }
        if (waiting == null) {
          owner.markClosed();
          // The scheduler is shut down (its channel is closing): no retry can be made. A call that
          // decided to retry has not finished, so abandoning it always makes a report.
          CallReport report =
              decision.retry()
                  ? Objects.requireNonNull(e.abandon(StopReason.ATTEMPTS_EXHAUSTED), "report")
                  : decision.report();
          failed = EngineDecisions.afterLastAttempt(report, status, owner.cancelStatus(), trailers);
        }
      }
    }
    if (waiting != null) {
      if (awaitGroup) {
        owner.wait.awaitGroupChange(waiting);
      }
      return;
    }
    owner.ended(status.isOk());
    if (failed != null) {
      l.onClose(failed, trailers);
      return;
    }
    if (released != null) {
      l.onHeaders(released);
    }
    l.onClose(status, trailers);
  }

  /** What the attempt's end means for the retry decision. */
  @GuardedBy("owner.lock")
  private AttemptOutcome outcome(Status status, Metadata trailers) {
    return EngineDecisions.outcome(
        status,
        trailers,
        owner.cancelledByCaller(),
        evidence.isLocal(),
        evidence.neverSent(),
        owner.redirected(),
        owner.isCommitted(),
        evidence.serverAnswered());
  }
}
