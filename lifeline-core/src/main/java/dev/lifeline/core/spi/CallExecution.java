package dev.lifeline.core.spi;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.Attempt;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.RetryBudget;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.Ticker;
import dev.lifeline.core.internal.BreakerVerdict;
import dev.lifeline.core.internal.CallLog;
import dev.lifeline.core.internal.CoreAccess;
import dev.lifeline.core.internal.MethodMeters;
import dev.lifeline.core.internal.PolicyRuntime;
import dev.lifeline.core.internal.RetryDecision;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logical call in progress: the engine a transport drives attempt by attempt.
 *
 * <pre>{@code
 * CallExecution call = CallExecution.start(policy, target, method, timeout);
 * while (true) {
 *   if (!call.beforeAttempt()) throw toException(call.report());   // breaker open
 *   ... make the attempt, bounded by call.attemptTimeout() ...
 *   if (ok) { call.succeeded(); return result; }
 *   Decision d = call.afterAttempt(AttemptOutcome.failure(kind, status));
 *   if (!d.retry()) throw toException(d.report());
 *   ... schedule the next attempt after d.delay() ...
 * }
 * }</pre>
 *
 * <p>It takes the breaker's permission per attempt and records its outcome by {@link FailureKind}
 * (a stream is judged once, when it is established: see {@link #streamEstablished()}), charges
 * retries to the target's {@link RetryBudget} (never NOT_ACTIVE), never schedules a retry past the
 * deadline (a pushback that does not fit stops the call), honours pushback, records metrics, logs
 * each attempt at DEBUG and one structured WARN per failed logical call.
 *
 * <p>Whether an attempt is retried is one pure decision, the same for every transport and every
 * routing step; this class adds only the budget, the breaker, metrics and logs around it.
 *
 * <p>Thread-safe: methods are synchronized, so attempts may be driven from different threads
 * (callbacks), one at a time; the mutable fields are {@code @GuardedBy("this")}.
 */
public final class CallExecution {

  private static final Logger log = LoggerFactory.getLogger(CallExecution.class);

  private final CallPolicy policy;
  private final String target;
  private final String method;
  private final RetryPolicy retryPolicy;
  private final boolean idempotent;
  private final RetryBudget budget;
  private final PolicyRuntime runtime;
  private final MethodMeters meters;
  private final Ticker ticker;
  private final long startNanos;
  private final long timeoutNanos;

  @GuardedBy("this")
  private final List<Attempt> attempts = new ArrayList<>();

  @GuardedBy("this")
  private Duration nextDelay = Duration.ZERO;

  @GuardedBy("this")
  private int delayedRetries;

  @GuardedBy("this")
  private long attemptStartNanos;

  @GuardedBy("this")
  private boolean attemptInProgress;

  // The breaker whose permission the current attempt holds; null if none (disabled, or already
  // recorded because the stream was established).
  @GuardedBy("this")
  private @Nullable CircuitBreaker heldBreaker;

  // Set when the call stops without success; null while it runs and after a success.
  @GuardedBy("this")
  private @Nullable CallReport report;

  @GuardedBy("this")
  private boolean finished;

  @GuardedBy("this")
  private boolean failureLogDeferred;

  @GuardedBy("this")
  private boolean failureLogged;

  private CallExecution(
      CallPolicy policy,
      String target,
      String method,
      long timeoutNanos,
      RetryPolicy retryPolicy,
      boolean idempotent) {
    this.policy = policy;
    this.runtime = CoreAccess.runtime(policy);
    this.target = target;
    this.method = method;
    this.retryPolicy = retryPolicy;
    this.idempotent = retryPolicy.idempotent().orElse(idempotent);
    this.budget = runtime.retryBudget(target);
    this.meters = runtime.methodMeters(method);
    this.ticker = policy.ticker();
    this.startNanos = ticker.nanos();
    this.timeoutNanos = timeoutNanos;
    budget.onCall();
    runtime.callStarted();
  }

  /**
   * Starts a logical call of {@code policy} without a deadline, of a method that is not idempotent.
   */
  public static CallExecution start(CallPolicy policy, String target, String method) {
    return start(policy, target, method, null, false);
  }

  /**
   * Starts a logical call of {@code policy}, of a method that is not idempotent (unless the retry
   * policy says so), that must finish within {@code timeout} from now; {@code null} means no
   * deadline.
   */
  public static CallExecution start(
      CallPolicy policy, String target, String method, @Nullable Duration timeout) {
    return start(policy, target, method, timeout, false);
  }

  /**
   * Starts a logical call of {@code policy} that must finish within {@code timeout} from now;
   * {@code null} means no deadline. No retry is scheduled past it.
   *
   * @param methodIdempotent whether the method itself is idempotent (from its gRPC descriptor or
   *     HTTP method); the retry policy's {@link RetryPolicy#idempotent()} overrides it
   */
  public static CallExecution start(
      CallPolicy policy,
      String target,
      String method,
      @Nullable Duration timeout,
      boolean methodIdempotent) {
    return start(policy, target, method, timeout, policy.retryPolicy(method), methodIdempotent);
  }

  /**
   * Starts a logical call under {@code retryPolicy} instead of the one {@code policy} has for
   * {@code method}: for a transport that resolves the policy from more than the method name, e.g.
   * HTTP, where a route's override falls back to the HTTP method's. {@code timeout} and {@code
   * methodIdempotent} as in {@link #start(CallPolicy, String, String, Duration, boolean)}.
   */
  public static CallExecution start(
      CallPolicy policy,
      String target,
      String method,
      @Nullable Duration timeout,
      RetryPolicy retryPolicy,
      boolean methodIdempotent) {
    long nanos = timeout == null ? -1 : saturatedNanos(timeout);
    return new CallExecution(
        Objects.requireNonNull(policy, "policy"),
        target,
        method,
        nanos,
        Objects.requireNonNull(retryPolicy, "retryPolicy"),
        methodIdempotent);
  }

  private static long saturatedNanos(Duration d) {
    if (d.isNegative()) {
      return 0;
    }
    return d.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toNanos();
  }

  /** The policy that applies to this call (the method's override, if any). */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** Whether this call may safely run twice: the policy's override, else the method's own. */
  public boolean idempotent() {
    return idempotent;
  }

  /** The target. */
  public String target() {
    return target;
  }

  /** The method. */
  public String method() {
    return method;
  }

  /** Attempts started so far. */
  public synchronized int attemptCount() {
    return attempts.size() + (attemptInProgress ? 1 : 0);
  }

  /**
   * Asks the circuit breaker of the call's target for permission to make the next attempt.
   *
   * @return {@code true} to go ahead; {@code false} if the breaker is open, in which case the call
   *     is finished with {@link StopReason#BREAKER_OPEN} and {@link #report()} describes it
   * @throws IllegalStateException if the call is finished or an attempt is already in progress
   */
  public synchronized boolean beforeAttempt() {
    if (!tryAttempt(target)) {
      finish(StopReason.BREAKER_OPEN);
      return false;
    }
    return true;
  }

  /**
   * Asks the circuit breaker of {@code breakerTarget} (the member or address this attempt goes to)
   * for permission to make the next attempt. Unlike {@link #beforeAttempt()}, a refusal does not
   * finish the call: a transport that can route the attempt elsewhere may ask again for another
   * target, or {@linkplain #abandon abandon} the call with {@link StopReason#BREAKER_OPEN}.
   *
   * @return whether the attempt may go ahead
   * @throws IllegalStateException if the call is finished or an attempt is already in progress
   */
  public synchronized boolean tryAttempt(String breakerTarget) {
    if (finished) {
      CallReport r = report;
      throw new IllegalStateException(
          "call already finished: " + (r == null ? "succeeded" : r.stopReason()));
    }
    if (attemptInProgress) {
      throw new IllegalStateException("attempt " + (attempts.size() + 1) + " still in progress");
    }
    CircuitBreakers breakers = policy.circuitBreakers();
    CircuitBreaker breaker =
        breakers.isDisabled() ? null : breakers.breaker(policy.service(), breakerTarget, method);
    if (breaker != null && !breaker.tryAcquirePermission()) {
      return false;
    }
    heldBreaker = breaker;
    attemptInProgress = true;
    attemptStartNanos = ticker.nanos();
    return true;
  }

  /**
   * The time limit for the attempt about to start: the smaller of the policy's per-attempt timeout
   * and the time left before the deadline; {@code null} if neither applies.
   */
  public synchronized @Nullable Duration attemptTimeout() {
    Duration perAttempt = retryPolicy.perAttemptTimeout().orElse(null);
    if (timeoutNanos < 0) {
      return perAttempt;
    }
    Duration left = Duration.ofNanos(Math.max(0, remainingNanos()));
    return perAttempt == null || left.compareTo(perAttempt) < 0 ? left : perAttempt;
  }

  /** Time left before the deadline, or {@code null} if the call has none. */
  public synchronized @Nullable Duration remaining() {
    return timeoutNanos < 0 ? null : Duration.ofNanos(Math.max(0, remainingNanos()));
  }

  /**
   * Records that the current attempt's stream is established (its response headers or first message
   * arrived). The breaker judges a stream here, once, and its permission is released: a long stream
   * must neither look slow nor hold one of the half-open breaker's few trial permits for its whole
   * life. What happens to the stream later is not recorded by the breaker.
   */
  public synchronized void streamEstablished() {
    if (attemptInProgress && heldBreaker != null) {
      heldBreaker.onSuccess(Math.max(0, ticker.nanos() - attemptStartNanos), TimeUnit.NANOSECONDS);
      heldBreaker = null;
    }
  }

  /** Records that the current attempt succeeded; the call is finished. */
  public synchronized void succeeded() {
    long duration = endAttempt();
    if (heldBreaker != null) {
      heldBreaker.onSuccess(duration, TimeUnit.NANOSECONDS);
      heldBreaker = null;
    }
    attempts.add(
        new Attempt(attempts.size() + 1, "OK", null, nextDelay, Duration.ofNanos(duration)));
    finished = true;
    logAttempt(attempts.get(attempts.size() - 1));
    runtime.callEnded();
    meters.record(null, attempts.size(), elapsedNanos());
  }

  /** Convenience for {@link #afterAttempt(AttemptOutcome)}; {@code pushback} may be null. */
  public Decision afterAttempt(
      FailureKind kind, String status, boolean provablyNotSent, @Nullable Duration pushback) {
    AttemptOutcome o = AttemptOutcome.failure(kind, status).pushback(pushback);
    return afterAttempt(provablyNotSent ? o.notSent() : o);
  }

  /**
   * Records a failed attempt and decides whether to retry.
   *
   * @throws IllegalStateException if no attempt is in progress
   */
  public synchronized Decision afterAttempt(AttemptOutcome outcome) {
    long duration = endAttempt();
    FailureKind kind = outcome.kind();
    if (heldBreaker != null) {
      switch (BreakerVerdict.of(kind, outcome.isLocal())) {
        case RELEASE -> heldBreaker.releasePermission();
        case FAILURE ->
            heldBreaker.onError(duration, TimeUnit.NANOSECONDS, new BreakerFailure(kind));
        case SUCCESS -> heldBreaker.onSuccess(duration, TimeUnit.NANOSECONDS);
      }
      heldBreaker = null;
    }
    Attempt attempt =
        new Attempt(
            attempts.size() + 1,
            Redaction.scrub(outcome.status(), policy.headers()),
            kind,
            nextDelay,
            Duration.ofNanos(duration));
    attempts.add(attempt);
    logAttempt(attempt);

    RetryDecision.Plan plan =
        RetryDecision.decide(
            retryPolicy,
            idempotent,
            outcome,
            attempts.size(),
            delayedRetries,
            timeoutNanos < 0 ? null : Duration.ofNanos(remainingNanos()),
            runtime.random().getAsDouble());
    StopReason stop = plan.stop();
    if (stop == null && kind.chargesRetryBudget() && !budget.tryRetry()) {
      stop = StopReason.BUDGET_EXHAUSTED;
      runtime.budgetRejected();
    }
    if (stop != null) {
      return Decision.stop(finish(stop));
    }
    if (plan.backoff()) {
      delayedRetries++;
    }
    nextDelay = plan.delay();
    runtime.retried(kind);
    return Decision.retryAfter(plan.delay());
  }

  /**
   * Finishes the call without a further attempt, e.g. when the caller cancels during a backoff
   * wait. Releases the breaker's permission if an attempt was in progress.
   *
   * @return the report; if the call had already finished, its existing report, which is {@code
   *     null} if it had succeeded
   */
  public synchronized @Nullable CallReport abandon(StopReason reason) {
    if (finished) {
      return report;
    }
    if (heldBreaker != null) {
      heldBreaker.releasePermission();
      heldBreaker = null;
    }
    attemptInProgress = false;
    return finish(reason);
  }

  /**
   * The report of a call that stopped without success; {@code null} while running or on success.
   */
  public synchronized @Nullable CallReport report() {
    return report;
  }

  /** Whether the call has finished, successfully or not. */
  public synchronized boolean isFinished() {
    return finished;
  }

  private long remainingNanos() {
    return Math.max(0, timeoutNanos - (ticker.nanos() - startNanos));
  }

  private long elapsedNanos() {
    return Math.max(0, ticker.nanos() - startNanos);
  }

  @GuardedBy("this")
  private long endAttempt() {
    if (!attemptInProgress) {
      throw new IllegalStateException("no attempt in progress: call beforeAttempt() first");
    }
    attemptInProgress = false;
    return Math.max(0, ticker.nanos() - attemptStartNanos);
  }

  @GuardedBy("this")
  private CallReport finish(StopReason reason) {
    finished = true;
    CallReport r =
        new CallReport(
            policy.service(), target, method, attempts, Duration.ofNanos(elapsedNanos()), reason);
    report = r;
    runtime.callEnded();
    meters.record(reason, attempts.size(), elapsedNanos());
    if (!failureLogDeferred) {
      warnFailed(r, null, null, Map.of());
    }
    return r;
  }

  /**
   * Makes the transport write this call's one failure WARN itself, through {@link #logFailure},
   * once it has built the exception its caller receives, so that the event carries that exception
   * and the transport's {@code error_type}. Call it before the call can finish (before the first
   * attempt); without it the engine logs the WARN when the call stops.
   *
   * @return this call
   */
  public synchronized CallExecution deferFailureLog() {
    failureLogDeferred = true;
    return this;
  }

  /**
   * Writes the one structured WARN of this failed call: the engine's fields (service, target,
   * method, attempts, elapsed time, stop reason, last status, redacted headers), then {@code
   * error_type} and {@code fields}, with {@code error} attached so that its stack trace is printed.
   * Nothing is logged for a call that succeeded, was cancelled ({@link StopReason#CANCELLED}) or
   * was already logged, so a transport may call it on every failure path.
   *
   * @param errorType the transport's {@code error_type}, e.g. {@code timeout}; {@code null} for
   *     none
   * @param error the exception the caller receives; {@code null} for none
   * @param fields more key-values, e.g. an HTTP path; secrets must already be redacted
   * @throws IllegalStateException if the call is still running
   */
  public synchronized void logFailure(
      @Nullable String errorType, @Nullable Throwable error, Map<String, ?> fields) {
    if (!finished) {
      throw new IllegalStateException("call still running: log its failure once it has stopped");
    }
    CallReport r = report;
    if (r != null) {
      warnFailed(r, errorType, error, fields);
    }
  }

  @GuardedBy("this")
  private void warnFailed(
      CallReport report,
      @Nullable String errorType,
      @Nullable Throwable error,
      Map<String, ?> fields) {
    if (failureLogged || report.stopReason() == StopReason.CANCELLED) {
      return;
    }
    failureLogged = true;
    CallLog.failed(
        log, report, Redaction.redactHeaders(policy.headers()), errorType, error, fields);
  }

  private void logAttempt(Attempt a) {
    CallLog.attempt(log, policy.service(), target, method, a);
  }

  /** What the breaker records for a failed attempt; carries no stack trace. */
  static final class BreakerFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BreakerFailure(FailureKind kind) {
      super(kind.name(), null, false, false);
    }
  }
}
