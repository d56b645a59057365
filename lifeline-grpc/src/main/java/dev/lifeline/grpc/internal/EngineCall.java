package dev.lifeline.grpc.internal;

import com.google.common.util.concurrent.MoreExecutors;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.spi.CallExecution;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

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
 * <p>Thread-safe: state changes only under {@code lock}, shared with each attempt's {@link
 * AttemptListener}, which turns the attempt's events into the call's next step; listener callbacks
 * are made outside the lock, one attempt at a time, so the caller's listener sees them serialised.
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
  // Shared with the call's AttemptListeners, which act on the call through the methods below.
  final Object lock = new Object();
  final RetryWait wait;

  @GuardedBy("lock")
  private @Nullable Listener<RespT> listener;

  @GuardedBy("lock")
  private final RequestBuffer<ReqT> request = new RequestBuffer<>();

  @GuardedBy("lock")
  private int requested;

  @GuardedBy("lock")
  private @Nullable Deadline deadline;

  // Created by the first attempt, once a lease may have given the call its deadline.
  @GuardedBy("lock")
  private @Nullable CallExecution execution;

  @GuardedBy("lock")
  private @Nullable ClientCall<ReqT, RespT> current;

  @GuardedBy("lock")
  private boolean currentStarted;

  @GuardedBy("lock")
  private boolean committed;

  @GuardedBy("lock")
  private boolean closed;

  @GuardedBy("lock")
  private @Nullable Status cancelStatus;

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
    // Either getter returns null when its deadline is not set.
    this.deadline = EngineDecisions.earlier(callOptions.getDeadline(), context.getDeadline());
    this.handle = new CallHandle(deadline != null);
    this.wait = new RetryWait(lock, scheduler, handle, this::startAttempt, this::isClosed);
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
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
  public void cancel(@Nullable String message, @Nullable Throwable cause) {
    cancel(EngineDecisions.cancelledByCaller(message, cause));
  }

  /** The caller's Context was cancelled, or its deadline passed: the call ends now. */
  private void contextCancelled() {
    cancel(EngineDecisions.contextCancelled(context.cancellationCause()));
  }

  private void cancel(Status status) {
    ClientCall<ReqT, RespT> call;
    Runnable end = null;
    synchronized (lock) {
      if (closed) {
        return;
      }
      cancelStatus = status;
      call = current;
      if (call == null) {
        // Between attempts (waiting out a backoff) or before the first: nothing in flight will
        // report the end, so it is delivered here.
        end = endHere(EngineDecisions.cancelledHere(status));
      }
    }
    if (call != null) {
      call.cancel(status.getDescription(), status.getCause());
    } else if (end != null) {
      end.run();
    }
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
  private @Nullable ClientCall<ReqT, RespT> newAttemptCall(CallOptions options) {
    ClientCall<ReqT, RespT> call;
    Context previous = context.attach();
    try {
      call = next.newCall(method, options);
    } finally {
      context.detach(previous);
    }
    boolean reroute = false;
    Runnable end = null;
    synchronized (lock) {
      if (closed) {
        return null;
      }
      CallExecution e = execution;
      if (e == null) {
        if (deadline == null) {
          deadline = handle.adoptedDeadline();
        }
        e =
            CallExecution.start(
                policy,
                target,
                method.getFullMethodName(),
                EngineDecisions.remaining(deadline),
                method.isIdempotent() || method.isSafe());
        execution = e;
      }
      String attemptTarget = handle.attemptTarget();
      String breakerTarget = attemptTarget != null ? attemptTarget : target;
      if (e.tryAttempt(breakerTarget)) {
        current = call;
        currentStarted = false;
        return call;
      }
      GroupRoute route = handle.route();
      reroute = route != null && route.breakerOpen(breakerTarget);
      if (!reroute) {
        end = endHere(EngineDecisions.breakerOpen());
      }
    }
    if (reroute) {
      // That member's breaker is open; another member is left: try it at once.
      Future<?> unused = wait.submit(this::startAttempt, 0);
    } else if (end != null) {
      end.run();
    }
    return null;
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
      call.start(new AttemptListener<>(this, call, evidence), replay.headers());
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
    Runnable end;
    synchronized (lock) {
      if (closed) {
        return;
      }
      end = endHere(EngineDecisions.failedOnRetryPath(cancelStatus, e));
    }
    if (end != null) {
      end.run();
    }
  }

  /**
   * Ends the call here, where no attempt in flight will report the end: records it as stopped and
   * returns what is left to do without the lock (tell the group, deliver the close the {@code
   * ending} decides); {@code null} before {@code start}, which delivers the close itself.
   */
  @GuardedBy("lock")
  private @Nullable Runnable endHere(EngineDecisions.Ending ending) {
    closed = true;
    current = null;
    wait.clear();
    @Nullable CallReport report = execution != null ? execution.abandon(ending.reason()) : null;
    Listener<RespT> l = listener;
    if (l == null) {
      return null;
    }
    Status toDeliver = ending.delivered(report);
    return () -> {
      ended(false);
      Callbacks.deliver(executor, () -> l.onClose(toDeliver, new Metadata()));
    };
  }

  /** The attempt's options: the call's deadline (and per-attempt limit). */
  @GuardedBy("lock")
  private CallOptions attemptOptions(AttemptEvidence evidence) {
    CallOptions options =
        callOptions.withOption(CallHandle.KEY, handle).withStreamTracerFactory(evidence);
    Optional<Duration> perAttempt =
        policy.retryPolicy(method.getFullMethodName()).perAttemptTimeout();
    return options.withDeadline(
        EngineDecisions.attemptDeadline(deadline, perAttempt, Deadline.getSystemTicker()));
  }

  /** The logical call is over: a group stops waking it and records it. */
  void ended(boolean succeeded) {
    context.removeListener(onContextCancelled);
    GroupRoute route = handle.route();
    if (route != null) {
      route.callEnded(succeeded);
    }
  }

  // What an AttemptListener may ask and change of its call, with the lock held.

  /** Whether {@code attempt} is still the call's attempt, and the call is not over. */
  @GuardedBy("lock")
  boolean isLive(ClientCall<ReqT, RespT> attempt) {
    return current == attempt && !closed;
  }

  /** The attempt in flight ended; what follows is decided by the caller of this. */
  @GuardedBy("lock")
  void attemptOver() {
    current = null;
  }

  /** The call is over: no further attempt, cancel or wake-up acts on it. */
  @GuardedBy("lock")
  void markClosed() {
    closed = true;
  }

  /** Whether a response message reached the caller: the call is then never retried. */
  @GuardedBy("lock")
  boolean isCommitted() {
    return committed;
  }

  /** Commits the call to its current attempt; false if it already was. */
  @GuardedBy("lock")
  boolean commit() {
    if (committed) {
      return false;
    }
    committed = true;
    return true;
  }

  /** The status of the caller's cancel, or {@code null} if it did not cancel. */
  @GuardedBy("lock")
  @Nullable Status cancelStatus() {
    return cancelStatus;
  }

  /** Whether the caller cancelled the call or its Context: nothing is retried then. */
  @GuardedBy("lock")
  boolean cancelledByCaller() {
    return cancelStatus != null || context.isCancelled();
  }

  /** Whether the group routed the current attempt to another member (a failover hop). */
  boolean redirected() {
    return handle.redirected();
  }

  /** Whether the call is a server stream, which the breaker judges once it is established. */
  boolean isServerStreaming() {
    return method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING;
  }

  /** The caller's listener: attempts start only after halfClose, which needs a started call. */
  @GuardedBy("lock")
  Listener<RespT> startedListener() {
    return Objects.requireNonNull(listener, "listener");
  }

  /** The call's execution: the first attempt created it before it could report anything. */
  @GuardedBy("lock")
  CallExecution running() {
    return Objects.requireNonNull(execution, "execution");
  }
}
