package dev.lifeline.grpc.internal;

import dev.lifeline.core.CallReport;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.spi.AttemptOutcome;
import dev.lifeline.grpc.GrpcFailures;
import dev.lifeline.grpc.LifelineCallException;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * What {@link EngineCall} decides from what it observed, as pure functions: what an attempt's end
 * means for the retry rule (core's {@code CallExecution.decide} takes it from there), which stop
 * reason a cancel carries, and which status the caller sees. Nothing here touches a call, a lock or
 * a clock, so each rule is tested as a table ({@code EngineDecisionsTest}).
 *
 * <p>Stateless and thread-safe.
 */
final class EngineDecisions {

  private EngineDecisions() {}

  /** The earlier of two deadlines; either may be absent ({@code null}). */
  static @Nullable Deadline earlier(@Nullable Deadline a, @Nullable Deadline b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : a.minimum(b);
  }

  /**
   * The deadline of one attempt: the call's, or the retry policy's per-attempt limit from now if
   * that ends earlier; either may be absent.
   */
  static @Nullable Deadline attemptDeadline(
      @Nullable Deadline call, Optional<Duration> perAttempt, Deadline.Ticker ticker) {
    @Nullable Deadline limit =
        perAttempt.map(t -> Deadline.after(t.toNanos(), TimeUnit.NANOSECONDS, ticker)).orElse(null);
    return earlier(call, limit);
  }

  /** The time left before {@code deadline}, never negative; {@code null} without a deadline. */
  static @Nullable Duration remaining(@Nullable Deadline deadline) {
    return deadline == null
        ? null
        : Duration.ofNanos(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)));
  }

  /** The status of a call that ended because something threw on the client's retry path. */
  static Status failedOnClient(Throwable e) {
    return Status.INTERNAL
        .withDescription("lifeline: attempt failed on the client: " + e)
        .withCause(e);
  }

  /**
   * What one failed attempt means for the retry rule.
   *
   * @param cancelledByCaller the caller cancelled the call or its Context: nothing to retry
   * @param local the attempt failed on the client before anything existed (no members, a closed
   *     channel)
   * @param neverSent the client saw the attempt never leave (no stream on a transport, no headers)
   * @param redirected the group routed the attempt to another member (a failover hop)
   * @param committed a response message already reached the caller
   * @param serverAnswered response headers or trailers arrived: the status is the server's own
   */
  static AttemptOutcome outcome(
      Status status,
      Metadata trailers,
      boolean cancelledByCaller,
      boolean local,
      boolean neverSent,
      boolean redirected,
      boolean committed,
      boolean serverAnswered) {
    FailureKind kind =
        cancelledByCaller ? FailureKind.CANCELLED : GrpcFailures.classify(status, false);
    if (kind == FailureKind.SERVER_ERROR && lostConnection(status, serverAnswered)) {
      kind = FailureKind.UNAVAILABLE;
    }
    AttemptOutcome outcome =
        AttemptOutcome.failure(kind, GrpcFailures.describe(status))
            .pushback(GrpcFailures.pushback(trailers).orElse(null));
    if (local) {
      // Failed here, before anything existed: says nothing about any server, so the breaker
      // records nothing.
      outcome = outcome.local();
    } else if (GrpcFailures.neverProcessed(status, trailers) || neverSent) {
      // The server says it never processed it, or it never left: safe to re-send even a write.
      outcome = outcome.notSent();
    }
    if (redirected) {
      outcome = outcome.redirect();
    }
    if (committed) {
      // The caller has seen a message: a retry would repeat it, so none is made.
      outcome = outcome.streamStarted();
    }
    return outcome;
  }

  /**
   * Whether an UNKNOWN status came from this client's transport losing the connection, not from the
   * server: nothing of the server's arrived (no headers, no trailers), so no handler wrote it.
   * Netty reports a connection closed under a call (a killed server) as UNKNOWN "channel closed";
   * that is an unreachable member, whose request may have run, so it is UNAVAILABLE: idempotent
   * calls move on, writes do not. Only client-local evidence counts, never the description.
   */
  static boolean lostConnection(Status status, boolean serverAnswered) {
    return status.getCode() == Status.Code.UNKNOWN && !serverAnswered;
  }

  /** The status a call ends with when its Context was cancelled or its deadline passed. */
  static Status contextCancelled(@Nullable Throwable cause) {
    return cause instanceof TimeoutException
        ? Status.DEADLINE_EXCEEDED.withDescription("io.grpc.Context deadline exceeded")
        : Status.CANCELLED.withDescription("io.grpc.Context was cancelled").withCause(cause);
  }

  /** The status of a call the caller cancelled through {@code ClientCall.cancel}. */
  static Status cancelledByCaller(@Nullable String message, @Nullable Throwable cause) {
    Status status =
        Status.CANCELLED.withDescription(message != null ? message : "cancelled by caller");
    return cause != null ? status.withCause(cause) : status;
  }

  /**
   * What a caller sees when the last attempt failed and no retry follows: its own status if it
   * cancelled (the attempt's status if the cancel came from below), else the failure with its
   * report.
   *
   * @param cancelStatus the status of the caller's cancel, or {@code null}
   */
  static Status afterLastAttempt(
      CallReport report, Status last, @Nullable Status cancelStatus, Metadata trailers) {
    if (report.stopReason() == StopReason.CANCELLED) {
      return cancelStatus != null ? cancelStatus : last;
    }
    return failureStatus(report, last, trailers);
  }

  /** Why a call cancelled between attempts stopped: its deadline, or the caller. */
  static StopReason cancelStopReason(Status status) {
    return status.getCode() == Status.Code.DEADLINE_EXCEEDED
        ? StopReason.DEADLINE
        : StopReason.CANCELLED;
  }

  /**
   * What a caller sees when the call ends on {@code status} between attempts: a deadline is a
   * failure of the call and carries its report; a cancel is the caller's own status, unchanged.
   *
   * @param report the call's report, or {@code null} if no attempt was made
   */
  static Status cancelledBetweenAttempts(@Nullable CallReport report, Status status) {
    return cancelledHere(status).delivered(report);
  }

  /**
   * How the engine ends a call itself, where no attempt in flight will report the end: the stop
   * reason the call's report records, and the status its caller's close is made from.
   */
  record Ending(StopReason reason, Status status) {

    /**
     * The status the caller sees, given the report that ending the call returned ({@code null} if
     * no attempt was made): the caller's own cancel as it is; any other stop as a failure with its
     * report.
     */
    Status delivered(@Nullable CallReport report) {
      return report == null || report.stopReason() == StopReason.CANCELLED
          ? status
          : failureStatus(report, status, new Metadata());
    }
  }

  /** The caller (or its Context) cancelled while no attempt was in flight. */
  static Ending cancelledHere(Status status) {
    return new Ending(cancelStopReason(status), status);
  }

  /** The breaker refused the attempt and no other member is left to try. */
  static Ending breakerOpen() {
    return new Ending(StopReason.BREAKER_OPEN, Status.UNAVAILABLE);
  }

  /**
   * Something threw on the retry path: a failure of the call, unless the caller cancelled
   * meanwhile; then the cancel wins (the caller asked for it) and it sees its own status.
   */
  static Ending failedOnRetryPath(@Nullable Status cancelStatus, Throwable e) {
    return cancelStatus != null
        ? new Ending(StopReason.CANCELLED, cancelStatus)
        : new Ending(StopReason.NON_RETRYABLE, failedOnClient(e));
  }

  /**
   * The status a caller sees for a failed call: the last attempt's code, with the server's own
   * description kept and Lifeline's one-line report added; the {@link LifelineCallException} with
   * every attempt is its cause.
   */
  static Status failureStatus(CallReport report, Status last, Metadata trailers) {
    LifelineCallException e = new LifelineCallException(report, last, trailers);
    String own = last.getDescription();
    String description =
        own == null || own.isBlank() ? report.message() : own + " [" + report.message() + "]";
    return Status.fromCode(last.getCode()).withDescription(description).withCause(e);
  }
}
