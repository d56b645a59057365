package dev.lifeline.grpc.internal;

import dev.lifeline.grpc.NotActive;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One unary call through a sticky group channel: buffers the request, runs attempts against members
 * and hands the caller only the final outcome.
 *
 * <p>Thread-safe: the caller's methods and attempt callbacks synchronize on {@code this}; attempts
 * never overlap, so the caller's listener sees one ordered sequence of callbacks.
 */
public final class StickyCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

  private final StickyRouter router;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Deadline deadline;

  // All guarded by this.
  private Listener<RespT> listener;
  private Metadata headers;
  private ReqT message;
  private boolean halfClosed;
  private boolean cancelled;
  private boolean closed;
  private ClientCall<ReqT, RespT> current;
  private Future<?> pendingRetry;
  private int attempts;
  private int delayedRetries;
  private boolean lastWasHintHop;
  private long firstFailureNanos = -1;
  private final java.util.BitSet triedMembers = new java.util.BitSet();
  // Members whose hints must not be followed at once: they answered UNAVAILABLE (dead), NOT_ACTIVE
  // without a hint (stepping down, knows nobody), or NOT_ACTIVE right after a hint sent us there.
  private final java.util.BitSet staleMembers = new java.util.BitSet();

  /** Creates a call; nothing happens until {@link #halfClose()}. */
  public StickyCall(
      StickyRouter router, MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    this.router = router;
    this.method = method;
    this.callOptions = callOptions;
    Deadline d = callOptions.getDeadline();
    Deadline ctx = Context.current().getDeadline();
    if (ctx != null && (d == null || ctx.isBefore(d))) {
      d = ctx;
    }
    this.deadline = d;
  }

  @Override
  public synchronized void start(Listener<RespT> responseListener, Metadata headers) {
    if (listener != null) {
      throw new IllegalStateException("call already started");
    }
    this.listener = responseListener;
    this.headers = headers;
  }

  @Override
  public void request(int numMessages) {
    // Unary: each attempt requests its single response itself.
  }

  @Override
  public synchronized void sendMessage(ReqT message) {
    if (this.message != null) {
      throw new IllegalStateException("unary call: one request message only");
    }
    this.message = message;
  }

  @Override
  public void halfClose() {
    int first;
    synchronized (this) {
      if (halfClosed || cancelled) {
        return;
      }
      halfClosed = true;
      first = router.preferredIndex();
    }
    startAttempt(first);
  }

  @Override
  public void cancel(String msg, Throwable cause) {
    ClientCall<ReqT, RespT> c;
    synchronized (this) {
      if (cancelled || closed) {
        return;
      }
      cancelled = true;
      c = current;
      if (pendingRetry != null) {
        pendingRetry.cancel(false);
      }
    }
    if (c != null) {
      c.cancel(msg, cause);
    } else {
      finish(Status.CANCELLED.withDescription(msg).withCause(cause), new Metadata(), null, null);
    }
  }

  @Override
  public boolean isReady() {
    return true;
  }

  private void startAttempt(int index) {
    StickyRouter.Member m = router.member(index);
    ClientCall<ReqT, RespT> call = m.channel().newCall(method, callOptions);
    ReqT msg;
    Metadata h = new Metadata();
    int attempt;
    synchronized (this) {
      pendingRetry = null;
      if (cancelled || closed) {
        return;
      }
      current = call;
      attempt = ++attempts;
      msg = message;
      h.merge(headers);
    }
    router.trace("attempt", m.address(), "-", 0, attempt);
    call.start(new AttemptListener(index, attempt), h);
    call.request(2);
    if (msg != null) {
      call.sendMessage(msg);
    }
    call.halfClose();
  }

  private void finish(Status status, Metadata trailers, Metadata respHeaders, RespT response) {
    Listener<RespT> l;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      l = listener;
    }
    if (respHeaders != null) {
      l.onHeaders(respHeaders);
    }
    if (response != null) {
      l.onMessage(response);
    }
    l.onClose(status, trailers);
  }

  private void onAttemptClosed(
      int index, int attempt, Status status, Metadata trailers, Metadata respHeaders, RespT resp) {
    String address = router.member(index).address();
    if (status.isOk()) {
      long first;
      synchronized (this) {
        first = firstFailureNanos;
      }
      router.onSuccess(index, attempt - 1, first);
      router.trace("success", address, "OK", 0, attempt);
      finish(status, trailers, respHeaders, resp);
      return;
    }
    boolean notActive = NotActive.isNotActive(status, trailers);
    boolean unavailable = !notActive && status.getCode() == Status.Code.UNAVAILABLE;
    boolean wasCancelled;
    synchronized (this) {
      wasCancelled = cancelled;
    }
    if (wasCancelled || (!notActive && !unavailable)) {
      router.onFailure(attempt - 1);
      router.trace("surface", address, status.getCode().name(), 0, attempt);
      finish(status, trailers, respHeaders, resp);
      return;
    }
    if (notActive) {
      router.notActive.increment();
    } else {
      router.unavailable.increment();
    }
    int next;
    long delay;
    String decision;
    synchronized (this) {
      if (firstFailureNanos < 0) {
        firstFailureNanos = router.ticker.nanos();
      }
      triedMembers.set(index);
      int hinted =
          notActive ? NotActive.hint(trailers).activeAddress().map(router::indexOf).orElse(-1) : -1;
      if (unavailable || hinted < 0 || lastWasHintHop) {
        staleMembers.set(index);
      }
      int remembered = router.preferredIndex();
      // A hint naming a stale member (a crashed active whose lease has not expired yet, or one
      // that just stepped down) would only ping-pong: that case waits for the backoff instead.
      if (hinted >= 0 && hinted != index && !lastWasHintHop && !staleMembers.get(hinted)) {
        next = hinted;
        delay = 0;
        lastWasHintHop = true;
        decision = "follow leader hint";
      } else if (remembered != index && !lastWasHintHop && !triedMembers.get(remembered)) {
        // Another call already found the active member meanwhile.
        next = remembered;
        delay = 0;
        lastWasHintHop = true;
        decision = "go to remembered active";
      } else {
        boolean mayRetry =
            (deadline != null && router.retryUntilDeadline) || delayedRetries < router.maxRetries;
        if (!mayRetry) {
          next = -1;
          delay = 0;
          decision = "give up: retries exhausted";
        } else {
          next = (index + 1) % router.size();
          delay = router.backoffNanos(delayedRetries++);
          lastWasHintHop = false;
          decision = "next member after backoff";
        }
      }
      if (next >= 0 && deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= delay) {
        next = -1;
        decision = "give up: deadline leaves no room";
      }
    }
    router.trace(decision, address, notActive ? "NOT_ACTIVE" : "UNAVAILABLE", delay, attempt);
    if (next < 0) {
      router.onFailure(attempt - 1);
      finish(status, trailers, respHeaders, resp);
      return;
    }
    if (delay == 0) {
      startAttempt(next);
      return;
    }
    final int target = next;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      pendingRetry =
          router.scheduler.schedule(() -> startAttempt(target), delay, TimeUnit.NANOSECONDS);
    }
  }

  private final class AttemptListener extends ClientCall.Listener<RespT> {
    private final int index;
    private final int attempt;
    // Callbacks of one attempt are serialized by grpc; only the last one reads these.
    private Metadata respHeaders;
    private RespT response;

    AttemptListener(int index, int attempt) {
      this.index = index;
      this.attempt = attempt;
    }

    @Override
    public void onHeaders(Metadata h) {
      respHeaders = h;
    }

    @Override
    public void onMessage(RespT message) {
      response = message;
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      onAttemptClosed(index, attempt, status, trailers, respHeaders, response);
    }
  }
}
