package dev.lifeline.active.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.active.ExclusivePermit;
import dev.lifeline.active.FencingToken;
import dev.lifeline.core.Ticker;
import io.grpc.Context;
import io.grpc.Deadline;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One admitted exclusive call. Its contexts hang off two signals, the tenure's and the call's own
 * end, and unregister from both when they end by themselves (deadline), so that a long stream does
 * not pile up listeners. Thread-safe.
 */
final class TenurePermit implements ExclusivePermit {

  private static final Executor DIRECT = Runnable::run;

  private final long token;
  private final ElectionState state;
  private final Ticker ticker;
  private final ScheduledExecutorService scheduler;
  private final Consumer<TenurePermit> onClose;
  private final Context.CancellableContext callEnded = Context.ROOT.withCancellation();

  @GuardedBy("this")
  private boolean closed;

  TenurePermit(
      long token,
      ElectionState state,
      Ticker ticker,
      ScheduledExecutorService scheduler,
      Consumer<TenurePermit> onClose) {
    this.token = token;
    this.state = state;
    this.ticker = ticker;
    this.scheduler = scheduler;
    this.onClose = onClose;
  }

  @Override
  public long fencingToken() {
    return token;
  }

  @Override
  public boolean isCurrent() {
    Tenure t = state.tenure();
    return t != null && t.token() == token && t.validAt(ticker.nanos());
  }

  @Override
  public Context.CancellableContext newContext(Context parent) {
    Context base = FencingToken.withToken(parent, token);
    Tenure t = state.tenure();
    long now = ticker.nanos();
    if (t == null || t.token() != token || !t.validAt(now)) {
      return cancelled(base, "the tenure of token " + token + " ended");
    }
    Context.CancellableContext step;
    try {
      step =
          base.withDeadline(
              Deadline.after(t.deadlineNanos() - now, TimeUnit.NANOSECONDS), scheduler);
    } catch (RejectedExecutionException e) {
      // The scheduler is shutting down with the member: nothing could end this context.
      return cancelled(base, "the member is closed");
    }
    Context.CancellationListener end = ended -> step.cancel(ended.cancellationCause());
    t.ended().addListener(end, DIRECT);
    callEnded.addListener(end, DIRECT);
    step.addListener(
        self -> {
          t.ended().removeListener(end);
          callEnded.removeListener(end);
        },
        DIRECT);
    return step;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    callEnded.cancel(new CancellationException("exclusive call ended"));
    onClose.accept(this);
  }

  private static Context.CancellableContext cancelled(Context base, String why) {
    Context.CancellableContext c = base.withCancellation();
    c.cancel(new CancellationException(why));
    return c;
  }
}
