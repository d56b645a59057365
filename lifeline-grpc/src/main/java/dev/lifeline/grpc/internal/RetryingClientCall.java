package dev.lifeline.grpc.internal;

import dev.lifeline.core.AttemptOutcome;
import dev.lifeline.core.CallExecution;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.Decision;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.StopReason;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One logical unary or server-streaming call made of one or more attempts. The request is buffered
 * until {@code halfClose}, then each attempt replays it. Nothing reaches the caller's listener
 * until an attempt delivers its first response message (the call is then committed and never
 * retried) or the logical call ends.
 *
 * <p>Thread-safe: state is guarded by {@code lock}; listener callbacks are made outside it, one
 * attempt at a time, so the caller's listener sees them serialised.
 */
final class RetryingClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

  private final CallPolicy policy;
  private final ScheduledExecutorService scheduler;
  private final String target;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Channel next;
  private final Context context = Context.current();
  private final Object lock = new Object();

  // Guarded by lock.
  private Listener<RespT> listener;
  private Metadata headers;
  private final List<ReqT> messages = new ArrayList<>();
  private int requested;
  private boolean halfClosed;
  private Integer compressionFlag;
  private CallExecution execution;
  private ClientCall<ReqT, RespT> current;
  private boolean currentStarted;
  private Future<?> pendingRetry;
  private boolean committed;
  private boolean closed;
  private Status cancelStatus;

  RetryingClientCall(
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
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata requestHeaders) {
    synchronized (lock) {
      if (listener != null) {
        throw new IllegalStateException("call already started");
      }
      listener = responseListener;
      headers = requestHeaders;
      Deadline deadline = callOptions.getDeadline();
      Duration timeout =
          deadline == null ? null : Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS));
      execution = policy.start(target, method.getFullMethodName(), timeout);
    }
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
    ClientCall<ReqT, RespT> call;
    Future<?> retry;
    CallReport report = null;
    Listener<RespT> l;
    Status status =
        Status.CANCELLED.withDescription(message != null ? message : "cancelled by caller");
    if (cause != null) {
      status = status.withCause(cause);
    }
    synchronized (lock) {
      if (closed) {
        return;
      }
      cancelStatus = status;
      call = current;
      retry = pendingRetry;
      pendingRetry = null;
      l = listener;
      if (call == null && execution != null) {
        // Not in an attempt (not yet half-closed, or waiting to retry): finish here.
        closed = true;
        report = execution.abandon(StopReason.CANCELLED);
      }
    }
    if (retry != null) {
      retry.cancel(false);
    }
    if (call != null) {
      call.cancel(message, cause);
    } else if (report != null && l != null) {
      closeOnCallExecutor(l, status, new Metadata());
    }
  }

  private void startAttempt() {
    ClientCall<ReqT, RespT> call;
    Metadata attemptHeaders = new Metadata();
    List<ReqT> toSend;
    Integer compression;
    CallReport breakerOpen = null;
    Listener<RespT> l;
    synchronized (lock) {
      pendingRetry = null;
      if (closed) {
        return;
      }
      l = listener;
      if (!execution.beforeAttempt()) {
        closed = true;
        breakerOpen = execution.report();
      }
      if (breakerOpen == null) {
        attemptHeaders.merge(headers);
        RetryingInterceptor.addStaticHeaders(policy.headers(), attemptHeaders);
        CallOptions options = callOptions;
        Duration perAttempt = execution.retryPolicy().perAttemptTimeout().orElse(null);
        if (perAttempt != null) {
          Deadline attemptDeadline = Deadline.after(perAttempt.toNanos(), TimeUnit.NANOSECONDS);
          Deadline callDeadline = callOptions.getDeadline();
          options =
              options.withDeadline(
                  callDeadline == null ? attemptDeadline : callDeadline.minimum(attemptDeadline));
        }
        Context previous = context.attach();
        try {
          call = next.newCall(method, options);
        } finally {
          context.detach(previous);
        }
        current = call;
        currentStarted = false;
        toSend = new ArrayList<>(messages);
        compression = compressionFlag;
      } else {
        call = null;
        toSend = List.of();
        compression = null;
      }
    }
    if (breakerOpen != null) {
      LifelineCallException e =
          new LifelineCallException(breakerOpen, Status.UNAVAILABLE, new Metadata());
      closeOnCallExecutor(l, e.getStatus().withCause(e), new Metadata());
      return;
    }
    Context previous = context.attach();
    try {
      try {
        call.start(new AttemptListener(call), attemptHeaders);
      } catch (IllegalStateException e) {
        // The caller cancelled between our choosing this attempt and starting it.
        Status cancelled;
        synchronized (lock) {
          cancelled = cancelStatus;
          if (cancelled == null) {
            throw e;
          }
          closed = true;
          current = null;
        }
        execution.abandon(StopReason.CANCELLED);
        closeOnCallExecutor(l, cancelled, new Metadata());
        return;
      }
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
    } finally {
      context.detach(previous);
    }
  }

  /**
   * Delivers a close that Lifeline makes up itself (breaker open, cancelled between attempts) on
   * the call's executor. Such a close can happen on the retry scheduler's thread, and a blocking
   * stub waits on its own executor: a close delivered elsewhere would leave it parked forever.
   */
  private void closeOnCallExecutor(Listener<RespT> l, Status status, Metadata trailers) {
    Executor executor = callOptions.getExecutor();
    if (executor == null) {
      l.onClose(status, trailers);
    } else {
      executor.execute(() -> l.onClose(status, trailers));
    }
  }

  private void fail(Listener<RespT> l, CallReport report, Status last, Metadata trailers) {
    LifelineCallException e = new LifelineCallException(report, last, trailers);
    l.onClose(e.getStatus().withCause(e), trailers);
  }

  /** Receives one attempt's events. */
  private final class AttemptListener extends ClientCall.Listener<RespT> {
    private final ClientCall<ReqT, RespT> call;
    private Metadata heldHeaders;

    AttemptListener(ClientCall<ReqT, RespT> call) {
      this.call = call;
    }

    @Override
    public void onHeaders(Metadata h) {
      Listener<RespT> l;
      synchronized (lock) {
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
      Decision decision;
      Metadata released = null;
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
          decision = null;
        } else {
          boolean byCaller = cancelStatus != null || context.isCancelled();
          FailureKind kind =
              byCaller ? FailureKind.CANCELLED : GrpcFailures.classify(status, false);
          AttemptOutcome outcome =
              AttemptOutcome.failure(kind, GrpcFailures.describe(status))
                  .pushback(GrpcFailures.pushback(trailers));
          if (GrpcFailures.provablyNotSent(status)) {
            outcome = outcome.notSent();
          }
          if (committed) {
            outcome = outcome.streamStarted();
          }
          decision = execution.afterAttempt(outcome);
          if (decision.retry() && isCallDeadlineExpired()) {
            decision = null;
            closed = true;
          } else if (decision.retry()) {
            schedule(decision.delay());
          } else {
            closed = true;
          }
        }
      }
      if (status.isOk()) {
        if (released != null) {
          l.onHeaders(released);
        }
        l.onClose(status, trailers);
      } else if (decision == null) {
        CallReport report = execution.abandon(StopReason.DEADLINE);
        fail(l, report, status, trailers);
      } else if (!decision.retry()) {
        CallReport report = decision.report();
        if (report.stopReason() == StopReason.CANCELLED) {
          l.onClose(status, trailers);
        } else {
          fail(l, report, status, trailers);
        }
      }
    }
  }

  private boolean isCallDeadlineExpired() {
    Deadline d = callOptions.getDeadline();
    return d != null && d.isExpired();
  }

  // Guarded by lock.
  private void schedule(Duration delay) {
    if (delay.isZero()) {
      pendingRetry = scheduler.submit(context.wrap(this::startAttempt));
    } else {
      pendingRetry =
          scheduler.schedule(
              context.wrap(this::startAttempt), delay.toNanos(), TimeUnit.NANOSECONDS);
    }
  }
}
