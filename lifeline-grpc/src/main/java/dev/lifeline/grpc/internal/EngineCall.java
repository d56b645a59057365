package dev.lifeline.grpc.internal;

import java.util.concurrent.Future;
import com.google.common.util.concurrent.MoreExecutors;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.spi.AttemptOutcome;
import dev.lifeline.core.spi.CallExecution;
import dev.lifeline.core.spi.Decision;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Lifeline's one call engine for gRPC: a logical unary or server-streaming call made of one or more
 * attempts, each decided by a {@link CallExecution} (retry policy, idempotency, retry budget,
 * circuit breaker, deadline) and, when the call goes to a single-active group, routed by the
 * group's channel through the {@link CallHandle} each attempt carries.
 *
 * <p>The request is buffered until {@code halfClose}, then each attempt replays it. Nothing reaches
 * the caller's listener until an attempt delivers its first response message (the call is then
 * committed and never retried) or the logical call ends.
 *
 * <p>The {@code ClientCall} contract, on every path:
 *
 * <ul>
 *   <li>Every attempt runs in the caller's {@link Context}, captured when the call is created; the
 *       earlier of the CallOptions and Context deadlines bounds the whole call, and a lease's
 *       default deadline applies to the whole call when neither is set.
 *   <li>A cancelled Context, or {@code cancel}, ends a backoff at once.
 *   <li>Every close that Lifeline makes up (breaker open, cancelled or expired while waiting, a
 *       failure on the retry path) is delivered on the call's executor ({@link Callbacks}); closes
 *       of real attempts arrive on it already.
 *   <li>An exception on the retry path closes the call with INTERNAL and releases its breaker
 *       permit.
 * </ul>
 *
 * <p>Thread-safe: state is guarded by {@code lock}; listener callbacks are made outside it, one
 * attempt at a time, so the caller's listener sees them serialised.
 */
final class EngineCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

  private final CallPolicy policy;
  private final String target;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Channel next;
  private final Context context;
  private final Executor executor;
  private final CallHandle handle;
  private final Context.CancellationListener onContextCancelled = c -> contextCancelled();
  private final Object lock = new Object();
  private final RetryWait wait;

  // All guarded by lock.
  private Listener<RespT> listener;
  private final RequestBuffer<ReqT> request = new RequestBuffer<>();
  private int requested;
  private Deadline deadline;
  private CallExecution execution;
  private ClientCall<ReqT, RespT> current;
  private boolean currentStarted;
  private boolean committed;
  private boolean closed;
  private Status cancelStatus;

  EngineCall(
      CallPolicy policy,
      ScheduledExecutorService scheduler,
      String target,
      MethodDescriptor<ReqT, RespT> method,
      CallOptions callOptions,
      Channel next) {
    this.policy = policy;
    this.target = target;
    this.method = method;
    this.callOptions = callOptions;
    this.next = next;
    this.context = Context.current();
    this.executor = Callbacks.executorOf(callOptions);
    this.deadline = EngineDecisions.earlier(callOptions.getDeadline(), context.getDeadline());
    this.handle = new CallHandle(deadline != null);
    this.wait = new RetryWait(lock, scheduler, handle, this::startAttempt, () -> closed);
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata requestHeaders) {
    Status cancelledEarly;
    synchronized (lock) {
      if (listener != null) {
        throw new IllegalStateException("call already started");
      }
      listener = responseListener;
      request.headers(requestHeaders);
      cancelledEarly = closed ? cancelStatus : null;
    }
    if (cancelledEarly != null) {
      // cancel() came before start(): the close is owed now that there is a listener.
      Callbacks.deliver(executor, () -> responseListener.onClose(cancelledEarly, new Metadata()));
      return;
    }
    // Runs at once, through contextCancelled, if the Context is already cancelled.
    context.addListener(onContextCancelled, MoreExecutors.directExecutor());
  }

  @Override
  public void request(int numMessages) {
    ClientCall<ReqT, RespT> call;
    synchronized (lock) {
      requested += numMessages;
      // Before the attempt is started its credit is handed over in startAttempt instead.
      call = currentStarted ? current : null;
    }
    if (call != null) {
      call.request(numMessages);
    }
  }

  @Override
  public void sendMessage(ReqT message) {
    synchronized (lock) {
      request.add(message);
    }
  }

  @Override
  public void setMessageCompression(boolean enabled) {
    synchronized (lock) {
      request.compression(enabled);
    }
  }

  @Override
  public boolean isReady() {
    ClientCall<ReqT, RespT> call;
    synchronized (lock) {
      call = current;
    }
    return call == null || call.isReady();
  }

  @Override
  public void halfClose() {
    synchronized (lock) {
      if (listener == null) {
        throw new IllegalStateException("call not started");
      }
      if (!request.halfClose() || closed) {
        return;
      }
    }
    startAttempt();
  }

  @Override
  public void cancel(String message, Throwable cause) {
    cancel(EngineDecisions.cancelledByCaller(message, cause));
  }

  /** The caller's Context was cancelled, or its deadline passed: the call ends now. */
  private void contextCancelled() {
    cancel(EngineDecisions.contextCancelled(context.cancellationCause()));
  }

  private void cancel(Status status) {
    ClientCall<ReqT, RespT> call;
    Listener<RespT> l;
    CallReport report = null;
    synchronized (lock) {
      if (closed) {
        return;
      }
      cancelStatus = status;
      call = current;
      l = listener;
      if (call == null) {
        // Between attempts (waiting out a backoff) or before the first: nothing in flight will
        // report the end, so it is delivered here.
        closed = true;
        wait.clear();
        if (execution != null) {
          report = execution.abandon(EngineDecisions.cancelStopReason(status));
        }
      }
    }
    if (call != null) {
      call.cancel(status.getDescription(), status.getCause());
      return;
    }
    if (l == null) {
      return; // not started: start() delivers the close
    }
    ended(false);
    Status toDeliver = EngineDecisions.cancelledBetweenAttempts(report, status);
    Callbacks.deliver(executor, () -> l.onClose(toDeliver, new Metadata()));
  }

  private void startAttempt() {
    AttemptEvidence evidence;
    CallOptions options;
    synchronized (lock) {
      wait.attemptStarting();
      if (closed) {
        return;
      }
      evidence = handle.beginAttempt();
      options = attemptOptions(evidence);
    }
    try {
      ClientCall<ReqT, RespT> call = newAttemptCall(options);
      if (call != null) {
        run(call, evidence);
      }
    } catch (RuntimeException | Error e) {
      failOnRetryPath(e);
    }
  }

  /**
   * Creates the attempt's call and takes the breaker's permission for it; {@code null} if the call
   * ended meanwhile or the breaker refused (the close is then delivered, or the attempt re-routed).
   */
  private ClientCall<ReqT, RespT> newAttemptCall(CallOptions options) {
    ClientCall<ReqT, RespT> call;
    Context previous = context.attach();
    try {
      call = next.newCall(method, options);
    } finally {
      context.detach(previous);
    }
    CallReport breakerOpen = null;
    boolean reroute = false;
    Listener<RespT> l;
    synchronized (lock) {
      if (closed) {
        return null;
      }
      if (execution == null) {
        if (deadline == null) {
          deadline = handle.adoptedDeadline();
        }
        execution =
            CallExecution.start(
                policy,
                target,
                method.getFullMethodName(),
                EngineDecisions.remaining(deadline),
                method.isIdempotent() || method.isSafe());
      }
      String breakerTarget = handle.attemptTarget() != null ? handle.attemptTarget() : target;
      if (!execution.tryAttempt(breakerTarget)) {
        GroupRoute route = handle.route();
        if (route != null && route.breakerOpen(breakerTarget)) {
          reroute = true;
        } else {
          closed = true;
          breakerOpen = execution.abandon(StopReason.BREAKER_OPEN);
        }
      } else {
        current = call;
        currentStarted = false;
      }
      l = listener;
    }
    if (reroute) {
      // That member's breaker is open; another member is left: try it at once.
      Future<?> unused = wait.submit(this::startAttempt, 0);
      return null;
    }
    if (breakerOpen != null) {
      ended(false);
      Status status =
          EngineDecisions.failureStatus(breakerOpen, Status.UNAVAILABLE, new Metadata());
      Callbacks.deliver(executor, () -> l.onClose(status, new Metadata()));
      return null;
    }
    return call;
  }

  /** Starts {@code call} and replays the request into it, in the caller's Context. */
  private void run(ClientCall<ReqT, RespT> call, AttemptEvidence evidence) {
    RequestBuffer.Replay<ReqT> replay;
    synchronized (lock) {
      replay = request.snapshot();
    }
    RetryingInterceptor.addStaticHeaders(policy.headers(), replay.headers());
    Context previous = context.attach();
    try {
      call.start(new AttemptListener(call, evidence), replay.headers());
      int toRequest = 0;
      synchronized (lock) {
        // Everything requested so far: no message was delivered before this attempt, and later
        // requests go straight to it once currentStarted is set.
        if (current == call) {
          currentStarted = true;
          toRequest = requested;
        }
      }
      if (toRequest > 0) {
        call.request(toRequest);
      }
      replay.sendTo(call);
    } catch (RuntimeException | Error e) {
      synchronized (lock) {
        if (current == call) {
          current = null;
        }
      }
      // A call that refused to start because cancel() reached it first is not a failure.
      call.cancel("lifeline: the attempt could not be started", e);
      throw e;
    } finally {
      context.detach(previous);
    }
  }

  /**
   * Something threw on the retry path (a marshaller, {@code newCall}, a refused schedule): the call
   * ends with INTERNAL, or CANCELLED if the caller cancelled meanwhile, and nothing is lost.
   */
  private void failOnRetryPath(Throwable e) {
    Listener<RespT> l;
    CallReport report = null;
    Status status;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      current = null;
      wait.clear();
      l = listener;
      boolean cancelled = cancelStatus != null;
      // A cancel that raced the failure wins: the caller asked for it and sees its own status.
      status = cancelled ? cancelStatus : EngineDecisions.failedOnClient(e);
      if (execution != null) {
        CallReport abandoned =
            execution.abandon(cancelled ? StopReason.CANCELLED : StopReason.NON_RETRYABLE);
        report = cancelled ? null : abandoned;
      }
    }
    ended(false);
    Status toDeliver =
        report != null ? EngineDecisions.failureStatus(report, status, new Metadata()) : status;
    Callbacks.deliver(executor, () -> l.onClose(toDeliver, new Metadata()));
  }

  /** Guarded by lock. The attempt's options: the call's deadline (and per-attempt limit). */
  private CallOptions attemptOptions(AttemptEvidence evidence) {
    CallOptions options =
        callOptions.withOption(CallHandle.KEY, handle).withStreamTracerFactory(evidence);
    Deadline perAttempt =
        policy
            .retryPolicy(method.getFullMethodName())
            .perAttemptTimeout()
            .map(t -> Deadline.after(t.toNanos(), TimeUnit.NANOSECONDS))
            .orElse(null);
    return options.withDeadline(EngineDecisions.earlier(deadline, perAttempt));
  }

  /** The logical call is over: a group stops waking it and records it. */
  private void ended(boolean succeeded) {
    context.removeListener(onContextCancelled);
    GroupRoute route = handle.route();
    if (route != null) {
      route.callEnded(succeeded);
    }
  }

  /** Receives one attempt's events. */
  private final class AttemptListener extends ClientCall.Listener<RespT> {
    private final ClientCall<ReqT, RespT> call;
    private final AttemptEvidence evidence;
    private Metadata heldHeaders;
    private boolean established;

    AttemptListener(ClientCall<ReqT, RespT> call, AttemptEvidence evidence) {
      this.call = call;
      this.evidence = evidence;
    }

    @Override
    public void onHeaders(Metadata h) {
      Listener<RespT> l;
      synchronized (lock) {
        if (current != call || closed) {
          return;
        }
        establish();
        if (!committed) {
          heldHeaders = h;
          return;
        }
        l = listener;
      }
      l.onHeaders(h);
    }

    @Override
    public void onMessage(RespT message) {
      Listener<RespT> l;
      Metadata toRelease = null;
      synchronized (lock) {
        if (current != call || closed) {
          return;
        }
        establish();
        if (!committed) {
          committed = true;
          toRelease = heldHeaders != null ? heldHeaders : new Metadata();
          heldHeaders = null;
        }
        l = listener;
      }
      if (toRelease != null) {
        l.onHeaders(toRelease);
      }
      l.onMessage(message);
    }

    /** Guarded by lock. A server stream is judged by the breaker once, when it is established. */
    private void establish() {
      if (!established && method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
        established = true;
        execution.streamEstablished();
      }
    }

    @Override
    public void onReady() {
      Listener<RespT> l;
      synchronized (lock) {
        if (current != call || closed) {
          return;
        }
        l = listener;
      }
      l.onReady();
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      Listener<RespT> l;
      Decision decision = null;
      Metadata released = null;
      Object waiting = null;
      boolean refused = false;
      synchronized (lock) {
        if (current != call || closed) {
          return;
        }
        current = null;
        l = listener;
        if (status.isOk()) {
          execution.succeeded();
          closed = true;
          if (!committed) {
            released = heldHeaders;
          }
        } else {
          decision = execution.afterAttempt(outcome(status, trailers));
          if (decision.retry()) {
            waiting = wait.schedule(decision.delay());
            // The scheduler is shut down (its channel is closing): no retry can be made.
            refused = waiting == null;
          }
          closed = waiting == null;
        }
      }
      if (waiting != null) {
        if (!decision.delay().isZero()) {
          wait.awaitGroupChange(waiting);
        }
        return;
      }
      ended(status.isOk());
      if (status.isOk()) {
        if (released != null) {
          l.onHeaders(released);
        }
        l.onClose(status, trailers);
        return;
      }
      CallReport report =
          refused ? execution.abandon(StopReason.ATTEMPTS_EXHAUSTED) : decision.report();
      Status cancelled;
      synchronized (lock) {
        cancelled = cancelStatus;
      }
      l.onClose(EngineDecisions.afterLastAttempt(report, status, cancelled, trailers), trailers);
    }

    /** Guarded by lock. What the attempt's end means for the retry decision. */
    private AttemptOutcome outcome(Status status, Metadata trailers) {
      return EngineDecisions.outcome(
          status,
          trailers,
          cancelStatus != null || context.isCancelled(),
          evidence.isLocal(),
          evidence.neverSent(),
          handle.redirected(),
          committed,
          evidence.serverAnswered());
    }
  }
}
