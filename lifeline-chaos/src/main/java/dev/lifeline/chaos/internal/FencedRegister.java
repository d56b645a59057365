package dev.lifeline.chaos.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.chaos.proto.FencedRegisterGrpc;
import dev.lifeline.chaos.proto.RegisterReply;
import dev.lifeline.chaos.proto.RegisterWrite;
import dev.lifeline.testing.HistoryChecker;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;

/**
 * The downstream system the exclusive calls write to: it keeps the highest fencing token it has
 * accepted and rejects lower ones, and rejects a write whose deadline (the writer's tenure
 * deadline, carried by gRPC) has passed on its own clock. Every decision goes to the {@link
 * HistoryChecker} in the order it was made. Thread-safe: decisions are serialized.
 */
public final class FencedRegister extends FencedRegisterGrpc.FencedRegisterImplBase {

  private final HistoryChecker history;

  @GuardedBy("this")
  private long highest = Long.MIN_VALUE;

  @GuardedBy("this")
  private long rejected;

  public FencedRegister(HistoryChecker history) {
    this.history = history;
  }

  @Override
  public void write(RegisterWrite w, StreamObserver<RegisterReply> observer) {
    Deadline deadline = Context.current().getDeadline();
    RegisterReply reply;
    synchronized (this) {
      long now = System.nanoTime();
      // A write that arrives after its tenure ended is refused like a stale token: a real
      // downstream gRPC service enforces the propagated deadline the same way.
      boolean accept =
          w.getFencingToken() >= highest && (deadline == null || !deadline.isExpired());
      if (accept) {
        highest = w.getFencingToken();
      } else {
        rejected++;
      }
      history.write(
          new HistoryChecker.Write(
              w.getMember(),
              w.getFencingToken(),
              w.getRequestId(),
              w.getStartNanos(),
              now,
              accept));
      reply = RegisterReply.newBuilder().setAccepted(accept).setHighestToken(highest).build();
    }
    observer.onNext(reply);
    observer.onCompleted();
  }

  /** Writes rejected so far (stale token or past the deadline). */
  public synchronized long rejected() {
    return rejected;
  }
}
