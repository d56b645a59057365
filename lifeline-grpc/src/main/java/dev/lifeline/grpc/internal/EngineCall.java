package dev.lifeline.grpc.internal;

import com.google.common.util.concurrent.MoreExecutors;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.spi.AttemptOutcome;
import dev.lifeline.core.spi.CallExecution;
import dev.lifeline.core.spi.Decision;
import dev.lifeline.grpc.GrpcFailures;
import dev.lifeline.grpc.LifelineCallException;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
  private final ScheduledExecutorService scheduler;
  private final String target;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Channel next;
  private final Context context;
  private final Executor executor;
  private final CallHandle handle;
  private final Context.CancellationListener onContextCancelled = c -> contextCancelled();
  private final Object lock = new Object();

  // All guarded by lock.
  private Listener<RespT> listener;
  private Metadata headers;
  private final List<ReqT> messages = new ArrayList<>();
  private int requested;
  private boolean halfClosed;
  private Integer compressionFlag;
  private Deadline deadline;
  private CallExecution execution;
  private ClientCall<ReqT, RespT> current;
  private boolean currentStarted;
  private Future<?> pendingRetry;
  // Identity of the current wait; whoever clears it (timer, wake-up, cancel) starts what follows.
  private Object waitToken;
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
    this.scheduler = scheduler;
    this.target = target;
    this.method = method;
    this.callOptions = callOptions;
    this.next = next;
    this.context = Context.current();
    this.executor = Callbacks.executorOf(callOptions);
    this.deadline = earlier(callOptions.getDeadline(), context.getDeadline());
    this.handle = new CallHandle(deadline != null);
  }

  private static Deadline earlier(Deadline a, Deadline b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : a.minimum(b);
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata requestHeaders) {
    Status cancelledEarly;
    synchronized (lock) {
      if (listener != null) {
        throw new IllegalStateException("call already started");
      }
      listener = responseListener;
      headers = requestHeaders;
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
      if (halfClosed) {
        throw new IllegalStateException("call already half-closed");
      }
      messages.add(message);
    }
  }

  @Override
  public void setMessageCompression(boolean enabled) {
    synchronized (lock) {
      compressionFlag = enabled ? 1 : 0;
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
      if (halfClosed) {
        return;
      }
      halfClosed = true;
      if (closed) {
        return;
      }
    }
    startAttempt();
  }

  @Override
  public void cancel(String message, Throwable cause) {
    Status status =
        Status.CANCELLED.withDescription(message != null ? message : "cancelled by caller");
    cancel(cause != null ? status.withCause(cause) : status);
  }

  /** The caller's Context was cancelled, or its deadline passed: the call ends now. */
  private void contextCancelled() {
    Throwable cause = context.cancellationCause();
    Status status =
        cause instanceof TimeoutException
            ? Status.DEADLINE_EXCEEDED.withDescription("io.grpc.Context deadline exceeded")
            : Status.CANCELLED.withDescription("io.grpc.Context was cancelled").withCause(cause);
    cancel(status);
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
        clearWait();
        if (execution != null) {
          report =
              execution.abandon(
                  status.getCode() == Status.Code.DEADLINE_EXCEEDED
                      ? StopReason.DEADLINE
                      : StopReason.CANCELLED);
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
    Status toDeliver =
        report != null && report.stopReason() == StopReason.DEADLINE
            ? failureStatus(report, status, new Metadata())
            : status;
    Callbacks.deliver(executor, () -> l.onClose(toDeliver, new Metadata()));
  }

  private void startAttempt() {
    AttemptEvidence evidence;
    CallOptions options;
    synchronized (lock) {
      pendingRetry = null;
      waitToken = null;
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
        Duration timeout =
            deadline == null
                ? null
                : Duration.ofNanos(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)));
        execution =
            CallExecution.start(
                policy,
                target,
                method.getFullMethodName(),
                timeout,
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
      submit(this::startAttempt, 0);
      return null;
    }
    if (breakerOpen != null) {
      ended(false);
      Status status = failureStatus(breakerOpen, Status.UNAVAILABLE, new Metadata());
      Callbacks.deliver(executor, () -> l.onClose(status, new Metadata()));
      return null;
    }
    return call;
  }

  /** Starts {@code call} and replays the request into it, in the caller's Context. */
  private void run(ClientCall<ReqT, RespT> call, AttemptEvidence evidence) {
    Metadata attemptHeaders = new Metadata();
    List<ReqT> toSend;
    Integer compression;
    synchronized (lock) {
      attemptHeaders.merge(headers);
      toSend = new ArrayList<>(messages);
      compression = compressionFlag;
    }
    RetryingInterceptor.addStaticHeaders(policy.headers(), attemptHeaders);
    Context previous = context.attach();
    try {
      call.start(new AttemptListener(call, evidence), attemptHeaders);
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
      if (compression != null) {
        call.setMessageCompression(compression == 1);
      }
      for (ReqT m : toSend) {
        call.sendMessage(m);
      }
      call.halfClose();
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
      clearWait();
      l = listener;
      if (cancelStatus != null) {
        status = cancelStatus;
        if (execution != null) {
          execution.abandon(StopReason.CANCELLED);
        }
      } else {
        status =
            Status.INTERNAL
                .withDescription("lifeline: attempt failed on the client: " + e)
                .withCause(e);
        if (execution != null) {
          report = execution.abandon(StopReason.NON_RETRYABLE);
        }
      }
    }
    ended(false);
    Status toDeliver = report != null ? failureStatus(report, status, new Metadata()) : status;
    Callbacks.deliver(executor, () -> l.onClose(toDeliver, new Metadata()));
  }

  /** Guarded by lock. The attempt's options: the call's deadline (and per-attempt limit). */
  private CallOptions attemptOptions(AttemptEvidence evidence) {
    CallOptions options =
        callOptions.withOption(CallHandle.KEY, handle).withStreamTracerFactory(evidence);
    Deadline d = deadline;
    Duration perAttempt =
        policy.retryPolicy(method.getFullMethodName()).perAttemptTimeout().orElse(null);
    if (perAttempt != null) {
      Deadline attemptDeadline = Deadline.after(perAttempt.toNanos(), TimeUnit.NANOSECONDS);
      d = d == null ? attemptDeadline : d.minimum(attemptDeadline);
    }
    return options.withDeadline(d);
  }

  /** The logical call is over: a group stops waking it and records it. */
  private void ended(boolean succeeded) {
    context.removeListener(onContextCancelled);
    GroupRoute route = handle.route();
    if (route != null) {
      route.callEnded(succeeded);
    }
  }

  /** Guarded by lock. Ends the current wait, if any: no timer and no wake-up will act on it. */
  private void clearWait() {
    if (pendingRetry != null) {
      pendingRetry.cancel(false);
      pendingRetry = null;
    }
    if (waitToken != null) {
      waitToken = null;
      GroupRoute route = handle.route();
      if (route != null) {
        route.stopWaiting();
      }
    }
  }

  /**
   * Guarded by lock. Schedules the next attempt after {@code delay}; returns the wait's token, or
   * {@code null} if the scheduler refused.
   */
  private Object scheduleRetry(Duration delay) {
    Object token = new Object();
    waitToken = token;
    Runnable fire =
        () -> {
          synchronized (lock) {
            if (waitToken != token) {
              return;
            }
            GroupRoute route = handle.route();
            if (route != null) {
              route.stopWaiting();
            }
          }
          startAttempt();
        };
    try {
      pendingRetry = submit(fire, delay.toNanos());
    } catch (RejectedExecutionException e) {
      waitToken = null;
      return null;
    }
    return token;
  }

  /**
   * While a group call waits out a backoff, the group may wake it. Called without the lock: the
   * route may wake the call at once, on this thread, if the group changed since the attempt ended.
   */
  private void awaitGroupChange(Object token) {
    GroupRoute route = handle.route();
    if (route != null) {
      route.awaitChange(() -> wake(token, false), () -> wake(token, true));
    }
  }

  /**
   * Another call found the active member (or members arrived): retry now, not after the wait. When
   * the group channel closed, its scheduler is going away, so the attempt (which will fail at once,
   * locally) is made on this thread.
   */
  private void wake(Object token, boolean closing) {
    synchronized (lock) {
      if (waitToken != token || closed) {
        return;
      }
      if (pendingRetry != null) {
        pendingRetry.cancel(false);
        pendingRetry = null;
      }
      waitToken = null;
      if (!closing) {
        try {
          pendingRetry = submit(this::startAttempt, 0);
          return;
        } catch (RejectedExecutionException e) {
          // The scheduler is shut down: make the attempt here instead.
        }
      }
    }
    startAttempt();
  }

  private Future<?> submit(Runnable task, long delayNanos) {
    return delayNanos <= 0
        ? scheduler.submit(task)
        : scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * The status a caller sees for a failed call: the last attempt's code, with the server's own
   * description kept and Lifeline's one-line report added; the {@link LifelineCallException} with
   * every attempt is its cause.
   */
  private static Status failureStatus(CallReport report, Status last, Metadata trailers) {
    LifelineCallException e = new LifelineCallException(report, last, trailers);
    String own = last.getDescription();
    String description =
        own == null || own.isBlank() ? report.message() : own + " [" + report.message() + "]";
    return Status.fromCode(last.getCode()).withDescription(description).withCause(e);
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
            waiting = scheduleRetry(decision.delay());
            // The scheduler is shut down (its channel is closing): no retry can be made.
            refused = waiting == null;
          }
          closed = waiting == null;
        }
      }
      if (waiting != null) {
        if (!decision.delay().isZero()) {
          awaitGroupChange(waiting);
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
      if (report.stopReason() == StopReason.CANCELLED) {
        Status cancelled;
        synchronized (lock) {
          cancelled = cancelStatus;
        }
        l.onClose(cancelled != null ? cancelled : status, trailers);
      } else {
        l.onClose(failureStatus(report, status, trailers), trailers);
      }
    }

    /** Guarded by lock. What the attempt's end means for the retry decision. */
    private AttemptOutcome outcome(Status status, Metadata trailers) {
      boolean byCaller = cancelStatus != null || context.isCancelled();
      FailureKind kind = byCaller ? FailureKind.CANCELLED : GrpcFailures.classify(status, false);
      AttemptOutcome outcome =
          AttemptOutcome.failure(kind, GrpcFailures.describe(status))
              .pushback(GrpcFailures.pushback(trailers));
      if (evidence.isLocal()) {
        // Failed here, before anything existed (no members, a closed channel): says nothing
        // about any server, so the breaker records nothing.
        outcome = outcome.local();
      } else if (GrpcFailures.neverProcessed(status, trailers) || evidence.neverSent()) {
        outcome = outcome.notSent();
      }
      if (handle.redirected()) {
        outcome = outcome.redirect();
      }
      if (committed) {
        outcome = outcome.streamStarted();
      }
      return outcome;
    }
  }
}
