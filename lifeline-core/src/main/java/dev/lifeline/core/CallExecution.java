package dev.lifeline.core;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One logical call in progress: the engine a transport drives attempt by attempt.
 *
 * <pre>{@code
 * CallExecution call = policy.start(target, method, timeout);
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
 * <p>It takes the breaker's permission per attempt and records its outcome by {@link FailureKind},
 * charges retries to the target's {@link RetryBudget} (never NOT_ACTIVE), never schedules a retry
 * past the deadline, honours pushback, records metrics, logs each attempt at DEBUG and one
 * structured WARN per failed logical call.
 *
 * <p>Thread-safe: methods are synchronized, so attempts may be driven from different threads
 * (callbacks), one at a time. All fields are guarded by {@code this}.
 */
public final class CallExecution {

  private static final Logger log = LoggerFactory.getLogger(CallExecution.class);

  private final CallPolicy policy;
  private final String target;
  private final String method;
  private final RetryPolicy retryPolicy;
  private final RetryBudget budget;
  private final CircuitBreaker breaker;
  private final Ticker ticker;
  private final long startNanos;
  private final long timeoutNanos;
  private final List<Attempt> attempts = new ArrayList<>();
  private Duration nextDelay = Duration.ZERO;
  private long attemptStartNanos;
  private boolean permitHeld;
  private CallReport report;
  private boolean finished;
  private boolean failureLogDeferred;
  private boolean failureLogged;

  CallExecution(
      CallPolicy policy, String target, String method, long timeoutNanos, RetryPolicy retryPolicy) {
    this.policy = policy;
    this.target = target;
    this.method = method;
    this.retryPolicy = retryPolicy;
    this.budget = policy.retryBudget(target);
    this.breaker =
        policy.circuitBreakers().isDisabled()
            ? null
            : policy.circuitBreakers().breaker(target, method);
    this.ticker = policy.ticker();
    this.startNanos = ticker.nanos();
    this.timeoutNanos = timeoutNanos;
    budget.onCall();
  }

  /** The policy that applies to this call (the method's override, if any). */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
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
    return attempts.size() + (permitHeld ? 1 : 0);
  }

  /**
   * Asks the circuit breaker for permission to make the next attempt.
   *
   * @return {@code true} to go ahead; {@code false} if the breaker is open, in which case the call
   *     is finished with {@link StopReason#BREAKER_OPEN} and {@link #report()} describes it
   * @throws IllegalStateException if the call is finished or an attempt is already in progress
   */
  public synchronized boolean beforeAttempt() {
    if (finished) {
      throw new IllegalStateException("call already finished: " + report.stopReason());
    }
    if (permitHeld) {
      throw new IllegalStateException("attempt " + (attempts.size() + 1) + " still in progress");
    }
    if (breaker != null && !breaker.tryAcquirePermission()) {
      finish(StopReason.BREAKER_OPEN);
      return false;
    }
    permitHeld = true;
    attemptStartNanos = ticker.nanos();
    return true;
  }

  /**
   * The time limit for the attempt about to start: the smaller of the policy's per-attempt timeout
   * and the time left before the deadline; {@code null} if neither applies.
   */
  public synchronized Duration attemptTimeout() {
    Duration perAttempt = retryPolicy.perAttemptTimeout().orElse(null);
    if (timeoutNanos < 0) {
      return perAttempt;
    }
    Duration left = Duration.ofNanos(Math.max(0, remainingNanos()));
    return perAttempt == null || left.compareTo(perAttempt) < 0 ? left : perAttempt;
  }

  /** Time left before the deadline, or {@code null} if the call has none. */
  public synchronized Duration remaining() {
    return timeoutNanos < 0 ? null : Duration.ofNanos(Math.max(0, remainingNanos()));
  }

  /** Records that the current attempt succeeded; the call is finished. */
  public synchronized void succeeded() {
    long duration = endAttempt();
    if (breaker != null) {
      breaker.onSuccess(duration, TimeUnit.NANOSECONDS);
    }
    attempts.add(
        new Attempt(attempts.size() + 1, "OK", null, nextDelay, Duration.ofNanos(duration)));
    finished = true;
    logAttempt(attempts.get(attempts.size() - 1));
    recordCall("success");
  }

  /** Convenience for {@link #afterAttempt(AttemptOutcome)}; {@code pushback} may be null. */
  public Decision afterAttempt(
      FailureKind kind, String status, boolean provablyNotSent, Duration pushback) {
    AttemptOutcome o = AttemptOutcome.failure(kind, status).pushback(pushback);
    return afterAttempt(provablyNotSent ? o.notSent() : o);
  }

  /**
   * Records a failed attempt and decides whether to retry.
   *
   * @throws IllegalStateException if no attempt is in progress
   */
  public synchronized Decision afterAttempt(AttemptOutcome outcome) {
    if (!permitHeld) {
      throw new IllegalStateException("no attempt in progress: call beforeAttempt() first");
    }
    long duration = endAttempt();
    FailureKind kind = outcome.kind();
    if (breaker != null) {
      if (kind.isBreakerIgnored() || outcome.isLocal()) {
        breaker.releasePermission();
      } else if (kind.isBreakerFailure()) {
        breaker.onError(duration, TimeUnit.NANOSECONDS, new BreakerFailure(kind));
      } else {
        breaker.onSuccess(duration, TimeUnit.NANOSECONDS);
      }
    }
    Attempt attempt =
        new Attempt(
            attempts.size() + 1,
            policy.redact(outcome.status()),
            kind,
            nextDelay,
            Duration.ofNanos(duration));
    attempts.add(attempt);
    logAttempt(attempt);

    StopReason stop = null;
    Duration delay = null;
    if (kind == FailureKind.CANCELLED) {
      stop = StopReason.CANCELLED;
    } else if (timeoutNanos >= 0 && remainingNanos() <= 0) {
      stop = StopReason.DEADLINE;
    } else if (outcome.isStreamStarted()) {
      stop = StopReason.STREAM_STARTED;
    } else if (!retryPolicy.retries(kind)) {
      stop = StopReason.NON_RETRYABLE;
    } else if (!retryPolicy.idempotent() && !outcome.isProvablyNotSent()) {
      stop = StopReason.NOT_IDEMPOTENT;
    } else if (attempts.size() >= retryPolicy.maxAttempts()) {
      stop = StopReason.ATTEMPTS_EXHAUSTED;
    } else {
      Duration pushback = retryPolicy.honorPushback() ? outcome.pushbackDelay().orElse(null) : null;
      if (pushback != null && pushback.isNegative()) {
        stop = StopReason.PUSHBACK;
      } else {
        delay =
            pushback != null
                ? pushback
                : retryPolicy.backoff().delay(attempts.size(), policy.random());
        if (timeoutNanos >= 0 && delay.toNanos() >= remainingNanos()) {
          stop = StopReason.DEADLINE;
        } else if (kind.chargesRetryBudget() && !budget.tryRetry()) {
          stop = StopReason.BUDGET_EXHAUSTED;
          Counter.builder("lifeline.retry.budget.rejections")
              .tag("service", policy.service())
              .register(meters())
              .increment();
        }
      }
    }
    if (stop != null) {
      return Decision.stop(finish(stop));
    }
    nextDelay = delay;
    Counter.builder("lifeline.retries")
        .tag("service", policy.service())
        .tag("reason", kind.name().toLowerCase(Locale.ROOT))
        .register(meters())
        .increment();
    return Decision.retryAfter(delay);
  }

  /**
   * Finishes the call without a further attempt, e.g. when the caller cancels during a backoff
   * wait. Releases the breaker's permission if an attempt was in progress.
   *
   * @return the report; if the call had already finished, its existing report
   */
  public synchronized CallReport abandon(StopReason reason) {
    if (finished) {
      return report;
    }
    if (permitHeld && breaker != null) {
      breaker.releasePermission();
    }
    permitHeld = false;
    return finish(reason);
  }

  /**
   * The report of a call that stopped without success; {@code null} while running or on success.
   */
  public synchronized CallReport report() {
    return report;
  }

  /** Whether the call has finished, successfully or not. */
  public synchronized boolean isFinished() {
    return finished;
  }

  private long remainingNanos() {
    return timeoutNanos - (ticker.nanos() - startNanos);
  }

  private long endAttempt() {
    if (!permitHeld) {
      throw new IllegalStateException("no attempt in progress: call beforeAttempt() first");
    }
    permitHeld = false;
    return Math.max(0, ticker.nanos() - attemptStartNanos);
  }

  private MeterRegistry meters() {
    return policy.meterRegistry();
  }

  private CallReport finish(StopReason reason) {
    finished = true;
    report =
        new CallReport(
            policy.service(),
            target,
            method,
            attempts,
            Duration.ofNanos(Math.max(0, ticker.nanos() - startNanos)),
            reason);
    recordCall(reason.name().toLowerCase(Locale.ROOT));
    if (!failureLogDeferred) {
      warnFailed(null, null, Map.of());
    }
    return report;
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
  public synchronized void logFailure(String errorType, Throwable error, Map<String, ?> fields) {
    if (!finished) {
      throw new IllegalStateException("call still running: log its failure once it has stopped");
    }
    if (report != null) {
      warnFailed(errorType, error, fields);
    }
  }

  private void warnFailed(String errorType, Throwable error, Map<String, ?> fields) {
    if (failureLogged || report.stopReason() == StopReason.CANCELLED) {
      return;
    }
    failureLogged = true;
    LoggingEventBuilder event =
        log.atWarn()
            .addKeyValue("service", policy.service())
            .addKeyValue("target", target)
            .addKeyValue("method", method)
            .addKeyValue("attempts", attempts.size())
            .addKeyValue("elapsed_ms", report.elapsed().toMillis())
            .addKeyValue("stop_reason", report.stopReason())
            .addKeyValue("last_status", report.lastStatus())
            .addKeyValue("headers", policy.redactedHeaders());
    if (errorType != null) {
      event = event.addKeyValue("error_type", errorType);
    }
    for (Map.Entry<String, ?> f : fields.entrySet()) {
      event = event.addKeyValue(f.getKey(), f.getValue());
    }
    if (error != null) {
      event = event.setCause(error);
    }
    event.log(report.message());
  }

  private void logAttempt(Attempt a) {
    log.atDebug()
        .addKeyValue("service", policy.service())
        .addKeyValue("target", target)
        .addKeyValue("method", method)
        .addKeyValue("attempt", a.number())
        .addKeyValue("status", a.status())
        .addKeyValue("delay_before_ms", a.delayBefore().toMillis())
        .addKeyValue("duration_ms", a.duration().toMillis())
        .log("attempt finished");
  }

  private void recordCall(String outcome) {
    MeterRegistry m = meters();
    Counter.builder("lifeline.calls")
        .tag("service", policy.service())
        .tag("method", method)
        .tag("outcome", outcome)
        .register(m)
        .increment();
    DistributionSummary.builder("lifeline.call.attempts")
        .tag("service", policy.service())
        .tag("method", method)
        .register(m)
        .record(attempts.size());
    Timer.builder("lifeline.call.duration")
        .tag("service", policy.service())
        .tag("method", method)
        .tag("outcome", outcome)
        .register(m)
        .record(Math.max(0, ticker.nanos() - startNanos), TimeUnit.NANOSECONDS);
  }

  /** What the breaker records for a failed attempt; carries no stack trace. */
  static final class BreakerFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BreakerFailure(FailureKind kind) {
      super(kind.name(), null, false, false);
    }
  }
}
