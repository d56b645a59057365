package dev.lifeline.core.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.core.Attempt;
import dev.lifeline.core.Backoff;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.ManualTime;
import dev.lifeline.core.RetryBudget;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.internal.CoreAccess;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CallExecutionTest {

  private static final String M = "lifeline.ItemService/GetItemDetail";

  private final ManualTime time = new ManualTime();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  private CallPolicy.Builder policy(RetryPolicy retry) {
    return CallPolicy.builder()
        .service("item-master")
        .retryPolicy(retry)
        .circuitBreakers(CircuitBreakers.disabled())
        .noRetryBudget()
        .ticker(time)
        .random(() -> 0.5)
        .meterRegistry(meters);
  }

  /** An idempotent call's policy: these tests are about when and how often, not about safety. */
  private static RetryPolicy fixed(int attempts, Duration delay) {
    return RetryPolicy.builder()
        .maxAttempts(attempts)
        .backoff(Backoff.fixed(delay))
        .idempotent(true)
        .build();
  }

  @Test
  void retriesUnavailableThreeTimesThenGivesUpWithAFullReport() {
    CallExecution call =
        CallExecution.start(policy(fixed(3, Duration.ofMillis(700))).build(), "10.0.0.7:50051", M);
    Decision d = null;
    for (int i = 0; i < 3; i++) {
      assertThat(call.beforeAttempt()).isTrue();
      d =
          call.afterAttempt(
              FailureKind.UNAVAILABLE, "UNAVAILABLE (connection refused)", true, null);
      if (d.retry()) {
        assertThat(d.delay()).isEqualTo(Duration.ofMillis(700));
        time.forward(d.delay());
      }
    }
    assertThat(d.retry()).isFalse();
    CallReport r = d.report();
    assertThat(r.stopReason()).isEqualTo(StopReason.ATTEMPTS_EXHAUSTED);
    assertThat(r.attempts()).extracting(Attempt::number).containsExactly(1, 2, 3);
    assertThat(r.attempts())
        .extracting(Attempt::delayBefore)
        .containsExactly(Duration.ZERO, Duration.ofMillis(700), Duration.ofMillis(700));
    assertThat(r.elapsed()).isEqualTo(Duration.ofMillis(1400));
    assertThat(r.message())
        .isEqualTo(
            "item-master lifeline.ItemService/GetItemDetail failed after 3 attempts in 1.4 s:"
                + " UNAVAILABLE (connection refused); attempts exhausted; target 10.0.0.7:50051");
    assertThat(meters.get("lifeline.calls").tag("outcome", "attempts_exhausted").counter().count())
        .isEqualTo(1);
    assertThat(meters.get("lifeline.retries").tag("reason", "unavailable").counter().count())
        .isEqualTo(2);
    assertThat(meters.get("lifeline.call.attempts").summary().totalAmount()).isEqualTo(3);
  }

  @Test
  void callerErrorIsNeverRetried() {
    CallExecution call = CallExecution.start(policy(RetryPolicy.defaults()).build(), "t", M);
    call.beforeAttempt();
    Decision d = call.afterAttempt(FailureKind.CALLER_ERROR, "NOT_FOUND", false, null);
    assertThat(d.stopReason()).isEqualTo(StopReason.NON_RETRYABLE);
    assertThat(d.report().attempts()).hasSize(1);
  }

  @Test
  void anAttemptAfterASuccessIsRefusedSayingTheCallSucceeded() {
    CallExecution call = CallExecution.start(policy(RetryPolicy.defaults()).build(), "t", M);
    call.beforeAttempt();
    call.succeeded();

    assertThatThrownBy(call::beforeAttempt)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call already finished: succeeded");
    assertThat(call.abandon(StopReason.CANCELLED)).as("nothing to abandon").isNull();
  }

  @Test
  void maxAttemptsOneMakesExactlyOneAttempt() {
    CallExecution call = CallExecution.start(policy(RetryPolicy.noRetry()).build(), "t", M);
    call.beforeAttempt();
    Decision d = call.afterAttempt(FailureKind.UNAVAILABLE, "UNAVAILABLE", true, null);
    assertThat(d.stopReason()).isEqualTo(StopReason.ATTEMPTS_EXHAUSTED);
    assertThat(d.report().attempts()).hasSize(1);
    assertThat(d.report().message()).contains("failed after 1 attempt in");
  }

  @Test
  void neverSchedulesARetryPastTheDeadline() {
    CallExecution call =
        CallExecution.start(
            policy(fixed(5, Duration.ofSeconds(1))).build(), "t", M, Duration.ofMillis(1500));
    call.beforeAttempt();
    time.forward(Duration.ofMillis(200));
    assertThat(call.afterAttempt(FailureKind.UNAVAILABLE, "UNAVAILABLE", false, null).retry())
        .isTrue();
    time.forward(Duration.ofSeconds(1));
    call.beforeAttempt();
    assertThat(call.attemptTimeout()).isEqualTo(Duration.ofMillis(300));
    time.forward(Duration.ofMillis(100));
    Decision d = call.afterAttempt(FailureKind.UNAVAILABLE, "UNAVAILABLE", false, null);
    assertThat(d.stopReason()).isEqualTo(StopReason.DEADLINE);
    assertThat(d.report().attempts()).hasSize(2);
  }

  @Test
  void anAttemptEndingAfterTheDeadlineStopsWithDeadlineEvenIfItsKindIsNotRetryable() {
    CallExecution call =
        CallExecution.start(policy(RetryPolicy.defaults()).build(), "t", M, Duration.ofSeconds(1));
    call.beforeAttempt();
    time.forward(Duration.ofSeconds(1));
    Decision d = call.afterAttempt(FailureKind.TIMEOUT, "DEADLINE_EXCEEDED", false, null);
    assertThat(d.stopReason()).isEqualTo(StopReason.DEADLINE);
  }

  @Test
  void pushbackReplacesTheBackoffAndNegativePushbackStops() {
    CallExecution call =
        CallExecution.start(policy(fixed(3, Duration.ofMillis(100))).build(), "t", M);
    call.beforeAttempt();
    assertThat(
            call.afterAttempt(FailureKind.UNAVAILABLE, "UNAVAILABLE", false, Duration.ofSeconds(3))
                .delay())
        .isEqualTo(Duration.ofSeconds(3));
    call.beforeAttempt();
    assertThat(
            call.afterAttempt(FailureKind.UNAVAILABLE, "UNAVAILABLE", false, Duration.ofMillis(-1))
                .stopReason())
        .isEqualTo(StopReason.PUSHBACK);
  }

  @Test
  void nonIdempotentCallIsRetriedOnlyWhenProvablyNotSent() {
    RetryPolicy p = RetryPolicy.defaults().toBuilder().idempotent(false).build();
    CallExecution call = CallExecution.start(policy(p).build(), "t", M);
    call.beforeAttempt();
    assertThat(call.afterAttempt(FailureKind.UNAVAILABLE, "refused", true, null).retry()).isTrue();
    call.beforeAttempt();
    assertThat(call.afterAttempt(FailureKind.UNAVAILABLE, "reset", false, null).stopReason())
        .isEqualTo(StopReason.NOT_IDEMPOTENT);
  }

  @Test
  void budgetKeepsAttemptsUnderOnePointTwoTimesCallsDuringTotalOutage() {
    CallPolicy p =
        policy(fixed(3, Duration.ZERO))
            .retryBudget(() -> RetryBudget.builder().minRetriesPerSecond(0).ticker(time).build())
            .build();
    int attempts = 0;
    int budgetStops = 0;
    for (int i = 0; i < 500; i++) {
      CallExecution call = CallExecution.start(p, "t", M);
      while (true) {
        call.beforeAttempt();
        attempts++;
        Decision d = call.afterAttempt(FailureKind.UNAVAILABLE, "UNAVAILABLE", false, null);
        if (!d.retry()) {
          budgetStops += d.stopReason() == StopReason.BUDGET_EXHAUSTED ? 1 : 0;
          break;
        }
      }
      time.forward(Duration.ofMillis(1));
    }
    assertThat(attempts).isLessThanOrEqualTo(600).isGreaterThan(500);
    assertThat(budgetStops).isGreaterThan(0);
    assertThat(CoreAccess.runtime(p).retryBudget("t").rejections()).isEqualTo(budgetStops);
    assertThat(meters.get("lifeline.retry.budget.rejections").counter().count())
        .isEqualTo(budgetStops);
  }

  @Test
  void notActiveIsNeverChargedToTheBudgetOrTheBreaker() {
    CircuitBreakers breakers =
        CircuitBreakers.builder()
            .minimumNumberOfCalls(2)
            .slidingWindowSize(2)
            .clock(time.clock())
            .meterRegistry(meters)
            .build();
    CallPolicy p =
        policy(RetryPolicy.builder().maxAttempts(50).backoff(Backoff.fixed(Duration.ZERO)).build())
            .circuitBreakers(breakers)
            .retryBudget(() -> RetryBudget.builder().minRetriesPerSecond(0).ticker(time).build())
            .build();
    CallExecution call = CallExecution.start(p, "t", M);
    for (int i = 0; i < 20; i++) {
      call.beforeAttempt();
      assertThat(call.afterAttempt(FailureKind.NOT_ACTIVE, "NOT_ACTIVE", false, null).retry())
          .isTrue();
    }
    assertThat(CoreAccess.runtime(p).retryBudget("t").rejections()).isZero();
    CircuitBreaker cb = breakers.breaker("item-master", "t", M);
    assertThat(cb.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(cb.getMetrics().getNumberOfBufferedCalls()).isZero();
  }

  @Test
  void breakerGoesClosedOpenHalfOpenClosedAndOpenFailsFastWithoutAnAttempt() {
    CircuitBreakers breakers =
        CircuitBreakers.builder()
            .slidingWindowSize(4)
            .minimumNumberOfCalls(4)
            .waitDurationInOpenState(Duration.ofSeconds(10))
            .permittedCallsInHalfOpenState(2)
            .clock(time.clock())
            .meterRegistry(meters)
            .build();
    CallPolicy p = policy(RetryPolicy.noRetry()).circuitBreakers(breakers).build();
    CircuitBreaker cb = breakers.breaker("item-master", "t", M);
    for (int i = 0; i < 4; i++) {
      CallExecution call = CallExecution.start(p, "t", M);
      assertThat(call.beforeAttempt()).isTrue();
      call.afterAttempt(FailureKind.UNAVAILABLE, "UNAVAILABLE", false, null);
    }
    assertThat(cb.getState()).isEqualTo(CircuitBreaker.State.OPEN);

    CallExecution rejected = CallExecution.start(p, "t", M);
    assertThat(rejected.beforeAttempt()).isFalse();
    assertThat(rejected.report().stopReason()).isEqualTo(StopReason.BREAKER_OPEN);
    assertThat(rejected.report().attempts()).isEmpty();
    assertThat(rejected.report().message()).contains("failed after 0 attempts");

    time.forward(Duration.ofSeconds(11));
    CallExecution trial1 = CallExecution.start(p, "t", M);
    CallExecution trial2 = CallExecution.start(p, "t", M);
    CallExecution third = CallExecution.start(p, "t", M);
    assertThat(trial1.beforeAttempt()).isTrue();
    assertThat(cb.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(trial2.beforeAttempt()).isTrue();
    assertThat(third.beforeAttempt()).as("half-open admits only 2 trial calls").isFalse();
    trial1.succeeded();
    // A caller error proves the server answers, so it counts as a success.
    trial2.afterAttempt(FailureKind.CALLER_ERROR, "NOT_FOUND", false, null);
    assertThat(cb.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(
            meters
                .get("lifeline.breaker.transitions")
                .tag("from", "closed")
                .tag("to", "open")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            meters
                .get("lifeline.breaker.state")
                .tag("breaker", "item-master")
                .tag("target", "t")
                .gauge()
                .value())
        .isZero();
    assertThat(breakers.registry().find("item-master t")).isPresent();
  }

  @Test
  void perMethodOverrideAppliesOnlyToItsMethod() {
    CallPolicy p =
        policy(RetryPolicy.defaults()).retryPolicy("svc/Create", RetryPolicy.noRetry()).build();
    assertThat(CallExecution.start(p, "t", "svc/Create").retryPolicy().maxAttempts()).isEqualTo(1);
    assertThat(CallExecution.start(p, "t", "svc/Get").retryPolicy().maxAttempts()).isEqualTo(3);
  }

  @Test
  void logsExactlyOneWarnPerFailedCallWithoutSecrets() {
    CallPolicy p =
        policy(fixed(3, Duration.ofMillis(10)))
            .header("authorization", "Bearer abcdef-secret")
            .build();
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    // slf4j-simple (the test binding) writes to whatever System.err is at the time of the call.
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      CallExecution call = CallExecution.start(p, "t", M);
      Decision d;
      do {
        call.beforeAttempt();
        d =
            call.afterAttempt(
                FailureKind.UNAVAILABLE, "UNAVAILABLE (token abcdef-secret)", false, null);
      } while (d.retry());
      CallExecution ok = CallExecution.start(p, "t", M);
      ok.beforeAttempt();
      ok.succeeded();
    } finally {
      System.setErr(original);
    }
    String out = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(out.lines().filter(l -> l.contains("WARN")).count()).isEqualTo(1);
    assertThat(out)
        .contains("failed after 3 attempts")
        .contains("stop_reason=ATTEMPTS_EXHAUSTED")
        .doesNotContain("abcdef-secret");
  }

  @Test
  void secretHeaderValuesNeverAppearInTheReport() {
    CallPolicy p =
        policy(RetryPolicy.noRetry())
            .header("dapr-app-id", "ai-model")
            .header("dapr-api-token", "s3cr3t-token-value")
            .build();
    CallExecution call = CallExecution.start(p, "t", M);
    call.beforeAttempt();
    Decision d =
        call.afterAttempt(
            FailureKind.CALLER_ERROR,
            "PERMISSION_DENIED (bad token s3cr3t-token-value)",
            false,
            null);
    assertThat(d.report().message()).doesNotContain("s3cr3t").contains("<redacted>");
    assertThat(Redaction.redactHeaders(p.headers()))
        .containsEntry("dapr-app-id", "ai-model")
        .containsEntry("dapr-api-token", "<redacted>");
  }

  @Test
  void anUnmarkedMethodIsNotIdempotentAndAMarkedOneIs() {
    CallPolicy p = policy(RetryPolicy.defaults()).build();
    CallExecution write = CallExecution.start(p, "t", M, null, false);
    write.beforeAttempt();
    assertThat(write.afterAttempt(FailureKind.UNAVAILABLE, "reset", false, null).stopReason())
        .isEqualTo(StopReason.NOT_IDEMPOTENT);
    CallExecution read = CallExecution.start(p, "t", M, null, true);
    read.beforeAttempt();
    assertThat(read.afterAttempt(FailureKind.UNAVAILABLE, "reset", false, null).retry()).isTrue();
  }

  @Test
  void aPolicyOverrideWinsOverTheMethodsOwnIdempotency() {
    CallPolicy p =
        policy(RetryPolicy.defaults())
            .retryPolicy("svc/Get", RetryPolicy.builder().idempotent(false).build())
            .build();
    assertThat(CallExecution.start(p, "t", "svc/Get", null, true).idempotent()).isFalse();
    assertThat(CallExecution.start(p, "t", "svc/Other", null, true).idempotent()).isTrue();
  }

  // Review finding 7: a pushback of 99999999999999 ms overflowed Duration.toNanos() and the
  // exception escaped the engine, leaving the call open.
  @Test
  void aHugePushbackStopsTheCallWithoutOverflowing() {
    CallExecution call =
        CallExecution.start(
            policy(fixed(3, Duration.ofMillis(100))).build(), "t", M, Duration.ofSeconds(1));
    call.beforeAttempt();
    Decision d =
        call.afterAttempt(
            FailureKind.UNAVAILABLE, "UNAVAILABLE", false, Duration.ofMillis(99_999_999_999_999L));
    assertThat(d.stopReason()).isEqualTo(StopReason.DEADLINE);
  }

  @Test
  void aCallThatRetriesUntilItsDeadlineIgnoresTheAttemptCount() {
    RetryPolicy p = fixed(2, Duration.ofMillis(100)).toBuilder().retryUntilDeadline(true).build();
    CallExecution call = CallExecution.start(policy(p).build(), "t", M, Duration.ofSeconds(1));
    int attempts = 0;
    Decision d;
    do {
      call.beforeAttempt();
      attempts++;
      d = call.afterAttempt(FailureKind.UNAVAILABLE, "UNAVAILABLE", false, null);
      if (d.retry()) {
        time.forward(d.delay());
      }
    } while (d.retry());
    assertThat(attempts).isEqualTo(10);
    assertThat(d.stopReason()).isEqualTo(StopReason.DEADLINE);
  }

  // Review finding 6: a server stream held its breaker permit for its whole life, so long streams
  // looked slow and three of them wedged a half-open breaker for every other call.
  @Test
  void anEstablishedStreamReleasesItsHalfOpenTrialPermitAndLongCallsAreNotSlow() {
    CircuitBreakers breakers =
        CircuitBreakers.builder()
            .slidingWindowSize(10)
            .minimumNumberOfCalls(10)
            .permittedCallsInHalfOpenState(3)
            .clock(time.clock())
            .meterRegistry(meters)
            .build();
    CallPolicy p = policy(RetryPolicy.noRetry()).circuitBreakers(breakers).build();
    CircuitBreaker cb = breakers.breaker("item-master", "t", M);
    for (int i = 0; i < 12; i++) {
      CallExecution stream = CallExecution.start(p, "t", M);
      stream.beforeAttempt();
      stream.streamEstablished();
      time.forward(Duration.ofSeconds(61));
      stream.succeeded();
    }
    assertThat(cb.getState())
        .as("healthy 61 s streams are not slow calls")
        .isEqualTo(CircuitBreaker.State.CLOSED);

    cb.transitionToOpenState();
    cb.transitionToHalfOpenState();
    for (int i = 0; i < 3; i++) {
      CallExecution stream = CallExecution.start(p, "t", M);
      assertThat(stream.beforeAttempt()).isTrue();
      stream.streamEstablished();
    }
    CallExecution unary = CallExecution.start(p, "t", M);
    assertThat(unary.beforeAttempt())
        .as("three open streams leave the half-open breaker to other calls")
        .isTrue();
  }

  @Test
  void theInFlightGaugeCountsLogicalCallsUntilTheyFinishHoweverTheyEnd() {
    CallPolicy p = policy(fixed(3, Duration.ofMillis(100))).build();
    assertThat(meters.get("lifeline.calls.in_flight").gauge().value()).isZero();
    CallExecution ok = CallExecution.start(p, "t", M);
    CallExecution abandoned = CallExecution.start(p, "t", M);
    CallExecution failed = CallExecution.start(p, "t", M);
    assertThat(meters.get("lifeline.calls.in_flight").gauge().value()).isEqualTo(3);
    ok.beforeAttempt();
    ok.succeeded();
    abandoned.beforeAttempt();
    abandoned.abandon(StopReason.CANCELLED);
    failed.beforeAttempt();
    failed.afterAttempt(FailureKind.CALLER_ERROR, "NOT_FOUND", false, null);
    assertThat(meters.get("lifeline.calls.in_flight").gauge().value()).isZero();
    assertThat(p.inFlight()).isZero();
  }

  @Test
  void theServicesCountersExistAtZeroBeforeTheFirstCall() {
    policy(RetryPolicy.defaults()).build();
    assertThat(meters.get("lifeline.retries").tag("reason", "unavailable").counter().count())
        .isZero();
    assertThat(meters.get("lifeline.retry.budget.rejections").counter().count()).isZero();
  }

  @Test
  void aLocalFailureIsNeverRecordedByTheBreakerAndGivesAHalfOpenPermitBack() {
    CircuitBreakers breakers =
        CircuitBreakers.builder()
            .permittedCallsInHalfOpenState(1)
            .clock(time.clock())
            .meterRegistry(meters)
            .build();
    CallPolicy p = policy(RetryPolicy.noRetry()).circuitBreakers(breakers).build();
    CircuitBreaker cb = breakers.breaker("item-master", "t", M);
    cb.transitionToOpenState();
    cb.transitionToHalfOpenState();
    CallExecution call = CallExecution.start(p, "t", M);
    assertThat(call.beforeAttempt()).isTrue();
    Decision d =
        call.afterAttempt(
            AttemptOutcome.failure(FailureKind.TIMEOUT, "pool wait timed out").local());
    assertThat(d.retry()).isFalse();
    assertThat(cb.getMetrics().getNumberOfBufferedCalls()).isZero();
    assertThat(cb.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(CallExecution.start(p, "t", M).beforeAttempt())
        .as("the one trial permit is back")
        .isTrue();
  }

  @Test
  void aLocalFailureProvablyWasNotSentSoEvenANonIdempotentCallIsRetried() {
    RetryPolicy p =
        RetryPolicy.builder()
            .idempotent(false)
            .retryOn(FailureKind.TIMEOUT)
            .backoff(Backoff.fixed(Duration.ZERO))
            .build();
    CallExecution call = CallExecution.start(policy(p).build(), "t", M);
    call.beforeAttempt();
    AttemptOutcome local = AttemptOutcome.failure(FailureKind.TIMEOUT, "pool wait").local();
    assertThat(local.isLocal()).isTrue();
    assertThat(local.isProvablyNotSent()).isTrue();
    assertThat(call.afterAttempt(local).retry()).isTrue();
  }

  @Test
  void anExplicitRetryPolicyReplacesTheMethodsOwn() {
    CallPolicy p = policy(RetryPolicy.defaults()).build();
    CallExecution call =
        CallExecution.start(p, "t", M, Duration.ofSeconds(1), RetryPolicy.noRetry(), true);
    assertThat(call.retryPolicy()).isEqualTo(RetryPolicy.noRetry());
    call.beforeAttempt();
    assertThat(call.afterAttempt(FailureKind.UNAVAILABLE, "UNAVAILABLE", true, null).stopReason())
        .isEqualTo(StopReason.ATTEMPTS_EXHAUSTED);
  }

  @Test
  void aDeferredFailureLogIsOneWarnCarryingTheTransportsErrorTypeFieldsAndException() {
    CallPolicy p = policy(RetryPolicy.noRetry()).build();
    CallExecution call = CallExecution.start(p, "t", M, null, true).deferFailureLog();
    Decision[] d = new Decision[1];
    String engineOnly =
        stderrOf(
            () -> {
              call.beforeAttempt();
              d[0] = call.afterAttempt(FailureKind.UNAVAILABLE, "HTTP 503", false, null);
            });
    assertThat(engineOnly).as("nothing before the transport logs").doesNotContain("WARN");
    IllegalStateException error = new IllegalStateException(d[0].report().message());
    String out =
        stderrOf(
            () -> {
              call.logFailure("http_error", error, java.util.Map.of("path", "/x?k=<redacted>"));
              call.logFailure("http_error", error, java.util.Map.of());
            });
    assertThat(out.lines().filter(l -> l.contains("WARN")).count()).isEqualTo(1);
    assertThat(out)
        .contains("error_type=http_error")
        .contains("path=/x?k=<redacted>")
        .contains("stop_reason=ATTEMPTS_EXHAUSTED")
        .contains("java.lang.IllegalStateException")
        .contains("\tat ");
  }

  @Test
  void aFailureLogIsRefusedWhileTheCallRunsAndSkippedForACancelledCall() {
    CallPolicy p = policy(RetryPolicy.noRetry()).build();
    CallExecution call = CallExecution.start(p, "t", M).deferFailureLog();
    call.beforeAttempt();
    assertThatThrownBy(() -> call.logFailure("timeout", null, java.util.Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("still running");
    String out =
        stderrOf(
            () -> {
              call.abandon(StopReason.CANCELLED);
              call.logFailure("unexpected_error", null, java.util.Map.of());
            });
    assertThat(out).doesNotContain("WARN");
  }

  /** What slf4j-simple (the test binding) writes to System.err while {@code r} runs. */
  private static String stderrOf(Runnable r) {
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
