package dev.lifeline.grpc;

import static dev.lifeline.grpc.ScriptedServer.fail;
import static dev.lifeline.grpc.ScriptedServer.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.lifeline.core.Attempt;
import dev.lifeline.core.Backoff;
import dev.lifeline.core.CallReport;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.Jitter;
import dev.lifeline.core.RetryBudget;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.testing.FakeClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LifelineCallsTest {

  private final FakeClock clock = new FakeClock();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final ScriptedServer server;
  private final ManagedChannel raw;
  private ScheduledExecutorService realScheduler;

  LifelineCallsTest() throws IOException {
    server = new ScriptedServer();
    raw = server.channel();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    raw.shutdownNow();
    raw.awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    if (realScheduler != null) {
      realScheduler.shutdownNow();
    }
  }

  private LifelineCalls.Builder calls(RetryPolicy policy) {
    return LifelineCalls.builder()
        .service("item-master")
        .target("item-master:50051")
        .retryPolicy(policy)
        .circuitBreakers(CircuitBreakers.disabled())
        .noRetryBudget()
        .meterRegistry(meters)
        .ticker(clock)
        .random(() -> 0.5)
        .scheduler(clock.scheduler());
  }

  private static RetryPolicy exponential(int attempts) {
    return RetryPolicy.builder()
        .maxAttempts(attempts)
        .backoff(
            Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(10))
                .withJitter(Jitter.none()))
        .build();
  }

  private static ListenableFuture<String> unary(
      Channel channel, MethodDescriptor<String, String> m) {
    return ClientCalls.futureUnaryCall(channel.newCall(m, CallOptions.DEFAULT), "req");
  }

  /** The typed error of a failed call (a close Lifeline makes up arrives on another thread). */
  private static LifelineCallException failure(ListenableFuture<?> f) {
    Throwable t = catchThrowable(() -> f.get(5, TimeUnit.SECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    assertThat(t.getCause()).isInstanceOf(StatusRuntimeException.class);
    return LifelineCallException.from(t).orElseThrow();
  }

  // Farmer Power bug: the "reference" client turned UNAVAILABLE into a domain exception inside the
  // retried method, so UNAVAILABLE was never retried.
  @Test
  void failsTwiceThenSucceedsOnTheThirdAttemptOnTheBackoffSchedule() throws Exception {
    server.then(fail(Status.UNAVAILABLE), fail(Status.UNAVAILABLE), ok("item-42"));
    Channel ch = ClientInterceptors.intercept(raw, calls(exponential(3)).build().interceptor());

    ListenableFuture<String> f = unary(ch, ScriptedServer.UNARY);
    assertThat(server.attempts).hasValue(1);
    clock.forward(Duration.ofMillis(999));
    assertThat(server.attempts).hasValue(1);
    clock.forward(Duration.ofMillis(1));
    assertThat(server.attempts).hasValue(2);
    clock.forward(Duration.ofMillis(1999));
    assertThat(server.attempts).hasValue(2);
    clock.forward(Duration.ofMillis(1));
    assertThat(f.get()).isEqualTo("item-42");
    assertThat(server.attempts).hasValue(3);
    assertThat(meters.get("lifeline.calls").tag("outcome", "success").counter().count())
        .isEqualTo(1);
    assertThat(meters.get("lifeline.retries").tag("reason", "unavailable").counter().count())
        .isEqualTo(2);
  }

  // Farmer Power bug: ServiceUnavailableError hard-coded attempt_count=3 whatever happened.
  @Test
  void alwaysUnavailableGivesUpAfterThreeAttemptsWithOneTypedError() {
    server.otherwise(fail(Status.UNAVAILABLE.withDescription("connection refused")));
    Channel ch = ClientInterceptors.intercept(raw, calls(exponential(3)).build().interceptor());

    ListenableFuture<String> f = unary(ch, ScriptedServer.UNARY);
    clock.forward(Duration.ofSeconds(1));
    clock.forward(Duration.ofSeconds(2));

    LifelineCallException e = failure(f);
    assertThat(server.attempts).hasValue(3);
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    CallReport r = e.report();
    assertThat(r.service()).isEqualTo("item-master");
    assertThat(r.target()).isEqualTo("item-master:50051");
    assertThat(r.method()).isEqualTo("test.Scripted/Get");
    assertThat(r.stopReason()).isEqualTo(StopReason.ATTEMPTS_EXHAUSTED);
    assertThat(r.elapsed()).isEqualTo(Duration.ofSeconds(3));
    assertThat(r.attempts())
        .extracting(Attempt::delayBefore)
        .containsExactly(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(2));
    assertThat(r.attempts())
        .extracting(Attempt::status)
        .containsOnly("UNAVAILABLE (connection refused)");
    assertThat(e.getMessage())
        .isEqualTo(
            "UNAVAILABLE: item-master test.Scripted/Get failed after 3 attempts in 3.0 s:"
                + " UNAVAILABLE (connection refused); attempts exhausted; target"
                + " item-master:50051");
  }

  @Test
  void blockingStubThrowsAStatusRuntimeExceptionCarryingTheTypedError() {
    realScheduler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    server.otherwise(fail(Status.UNAVAILABLE));
    Channel ch =
        ClientInterceptors.intercept(
            raw,
            calls(
                    RetryPolicy.builder()
                        .maxAttempts(2)
                        .backoff(Backoff.fixed(Duration.ofMillis(1)))
                        .build())
                .scheduler(realScheduler)
                .ticker(dev.lifeline.core.Ticker.system())
                .build()
                .interceptor());

    Throwable plain =
        catchThrowable(
            () ->
                ClientCalls.blockingUnaryCall(ch, ScriptedServer.UNARY, CallOptions.DEFAULT, "x"));
    assertThat(plain).isInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) plain).getStatus().getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(plain.getCause()).isInstanceOf(LifelineCallException.class);

    Throwable typed =
        catchThrowable(
            () ->
                LifelineCalls.call(
                    () ->
                        ClientCalls.blockingUnaryCall(
                            ch, ScriptedServer.UNARY, CallOptions.DEFAULT, "x")));
    assertThat(typed).isInstanceOf(LifelineCallException.class);
    assertThat(((LifelineCallException) typed).report().attempts()).hasSize(2);
    assertThat(server.attempts).hasValue(4);
  }

  // Found by the demo: a blocking stub whose breaker opened while a retry was pending stayed parked
  // in grpc's ThreadlessExecutor forever, because the close was delivered on the retry scheduler's
  // thread instead of the call's executor.
  @Test
  void blockingStubReturnsWhenTheBreakerOpensBetweenAttempts() {
    realScheduler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    server.otherwise(fail(Status.UNAVAILABLE));
    CircuitBreakers breakers =
        CircuitBreakers.builder()
            .slidingWindowSize(1)
            .minimumNumberOfCalls(1)
            .waitDurationInOpenState(Duration.ofMinutes(1))
            .build();
    Channel ch =
        ClientInterceptors.intercept(
            raw,
            calls(
                    RetryPolicy.builder()
                        .maxAttempts(3)
                        .backoff(Backoff.fixed(Duration.ofMillis(1)))
                        .build())
                .circuitBreakers(breakers)
                .scheduler(realScheduler)
                .ticker(dev.lifeline.core.Ticker.system())
                .build()
                .interceptor());

    Throwable t =
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
            Duration.ofSeconds(20),
            () ->
                catchThrowable(
                    () ->
                        LifelineCalls.call(
                            () ->
                                ClientCalls.blockingUnaryCall(
                                    ch,
                                    ScriptedServer.UNARY,
                                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                                    "x"))));
    assertThat(t).isInstanceOf(LifelineCallException.class);
    assertThat(((LifelineCallException) t).report().stopReason())
        .isEqualTo(dev.lifeline.core.StopReason.BREAKER_OPEN);
    assertThat(server.attempts).hasValue(1);
  }

  // Farmer Power bug: AiModelClient retried every code, NOT_FOUND included (3 calls).
  @Test
  void notFoundIsNeverRetried() {
    server.otherwise(fail(Status.NOT_FOUND.withDescription("item 42")));
    Channel ch = ClientInterceptors.intercept(raw, calls(exponential(5)).build().interceptor());

    LifelineCallException e = failure(unary(ch, ScriptedServer.UNARY));
    assertThat(server.attempts).hasValue(1);
    assertThat(clock.pendingTasks()).isZero();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(e.report().stopReason()).isEqualTo(StopReason.NON_RETRYABLE);
    assertThat(e.report().attempts().get(0).kind()).isEqualTo(FailureKind.CALLER_ERROR);
  }

  // AegisSDK bug: max_retries=0 made zero calls and failed with "after 0 retries: None".
  @Test
  void maxAttemptsOneMakesExactlyOneCall() {
    server.otherwise(fail(Status.UNAVAILABLE));
    Channel ch = calls(RetryPolicy.noRetry()).build().intercept(raw);

    LifelineCallException e = failure(unary(ch, ScriptedServer.UNARY));
    assertThat(server.attempts).hasValue(1);
    assertThat(e.report().attempts()).hasSize(1);
    assertThat(e.getMessage()).contains("failed after 1 attempt in 0 ms");
  }

  @Test
  void neverWaitsPastTheCallDeadline() {
    server.otherwise(fail(Status.UNAVAILABLE));
    RetryPolicy p =
        RetryPolicy.builder().maxAttempts(5).backoff(Backoff.fixed(Duration.ofSeconds(10))).build();
    Channel ch = ClientInterceptors.intercept(raw, calls(p).build().interceptor());

    ListenableFuture<String> f =
        ClientCalls.futureUnaryCall(
            ch.newCall(
                ScriptedServer.UNARY, CallOptions.DEFAULT.withDeadlineAfter(25, TimeUnit.SECONDS)),
            "req");
    clock.forward(Duration.ofSeconds(10));
    clock.forward(Duration.ofSeconds(10));
    LifelineCallException e = failure(f);
    assertThat(server.attempts).hasValue(3);
    assertThat(e.report().stopReason()).isEqualTo(StopReason.DEADLINE);
    assertThat(clock.pendingTasks()).isZero();
  }

  @Test
  void honoursServerPushbackInsteadOfTheBackoff() throws Exception {
    server.then(ScriptedServer.pushback(Status.UNAVAILABLE, "3000"), ok("late"));
    Channel ch = ClientInterceptors.intercept(raw, calls(exponential(3)).build().interceptor());

    ListenableFuture<String> f = unary(ch, ScriptedServer.UNARY);
    clock.forward(Duration.ofMillis(2999));
    assertThat(server.attempts).hasValue(1);
    clock.forward(Duration.ofMillis(1));
    assertThat(f.get()).isEqualTo("late");
  }

  @Test
  void negativePushbackStopsRetrying() {
    server.then(ScriptedServer.pushback(Status.RESOURCE_EXHAUSTED, "-1"));
    RetryPolicy p =
        exponential(3).toBuilder().retryOn(FailureKind.UNAVAILABLE, FailureKind.OVERLOADED).build();
    Channel ch = ClientInterceptors.intercept(raw, calls(p).build().interceptor());

    LifelineCallException e = failure(unary(ch, ScriptedServer.UNARY));
    assertThat(e.report().stopReason()).isEqualTo(StopReason.PUSHBACK);
    assertThat(server.attempts).hasValue(1);
  }

  @Test
  void retryBudgetKeepsAttemptsUnderOnePointTwoTimesCallsWhenEverythingIsUnavailable() {
    server.otherwise(fail(Status.UNAVAILABLE));
    Channel ch =
        ClientInterceptors.intercept(
            raw,
            calls(
                    RetryPolicy.builder()
                        .maxAttempts(3)
                        .backoff(Backoff.fixed(Duration.ofMillis(10)))
                        .build())
                .retryBudget(
                    () -> RetryBudget.builder().minRetriesPerSecond(0).ticker(clock).build())
                .build()
                .interceptor());
    int calls = 300;
    int budgetStops = 0;
    for (int i = 0; i < calls; i++) {
      ListenableFuture<String> f = unary(ch, ScriptedServer.UNARY);
      clock.forward(Duration.ofMillis(20));
      if (failure(f).report().stopReason() == StopReason.BUDGET_EXHAUSTED) {
        budgetStops++;
      }
    }
    assertThat(server.attempts.get()).isLessThanOrEqualTo((int) (calls * 1.2)).isGreaterThan(calls);
    assertThat(budgetStops).isPositive();
    assertThat(meters.get("lifeline.retry.budget.rejections").counter().count())
        .isEqualTo(budgetStops);
  }

  @Test
  void breakerOpensFailsFastHalfOpensAndClosesAgain() throws Exception {
    CircuitBreakers breakers =
        CircuitBreakers.builder()
            .slidingWindowSize(4)
            .minimumNumberOfCalls(4)
            .waitDurationInOpenState(Duration.ofSeconds(30))
            .permittedCallsInHalfOpenState(1)
            .clock(clock.clock())
            .meterRegistry(meters)
            .build();
    LifelineCalls lc = calls(RetryPolicy.noRetry()).circuitBreakers(breakers).build();
    Channel ch = ClientInterceptors.intercept(raw, lc.interceptor());
    CircuitBreaker cb = breakers.breaker("item-master", "item-master:50051", "test.Scripted/Get");

    server.then(
        fail(Status.UNAVAILABLE),
        fail(Status.DEADLINE_EXCEEDED),
        fail(Status.INTERNAL),
        fail(Status.UNAVAILABLE));
    for (int i = 0; i < 4; i++) {
      failure(unary(ch, ScriptedServer.UNARY));
    }
    assertThat(cb.getState()).isEqualTo(CircuitBreaker.State.OPEN);

    LifelineCallException fast = failure(unary(ch, ScriptedServer.UNARY));
    assertThat(server.attempts).as("open breaker does not touch the network").hasValue(4);
    assertThat(fast.report().stopReason()).isEqualTo(StopReason.BREAKER_OPEN);
    assertThat(fast.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);

    // Resilience4j half-opens strictly after the wait.
    clock.forward(Duration.ofSeconds(30).plusMillis(1));
    assertThat(unary(ch, ScriptedServer.UNARY).get()).isEqualTo("ok");
    assertThat(server.attempts).hasValue(5);
    assertThat(cb.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(lc.policy().circuitBreakers().registry().getAllCircuitBreakers()).contains(cb);
    assertThat(
            meters
                .get("lifeline.breaker.transitions")
                .tag("from", "half_open")
                .tag("to", "closed")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void callerErrorsKeepTheBreakerClosed() {
    CircuitBreakers breakers =
        CircuitBreakers.builder()
            .slidingWindowSize(4)
            .minimumNumberOfCalls(4)
            .clock(clock.clock())
            .meterRegistry(meters)
            .build();
    Channel ch =
        ClientInterceptors.intercept(
            raw, calls(RetryPolicy.noRetry()).circuitBreakers(breakers).build().interceptor());
    server.otherwise(fail(Status.NOT_FOUND));
    for (int i = 0; i < 10; i++) {
      failure(unary(ch, ScriptedServer.UNARY));
    }
    assertThat(breakers.breaker("item-master", "item-master:50051", "x").getState())
        .isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(server.attempts).hasValue(10);
  }

  @Test
  void serverStreamIsRetriedBeforeItsFirstMessageButNotAfter() throws Exception {
    Channel ch = ClientInterceptors.intercept(raw, calls(exponential(3)).build().interceptor());
    server.then(
        fail(Status.UNAVAILABLE),
        (req, obs) -> {
          obs.onNext("a");
          obs.onNext("b");
          obs.onCompleted();
        });
    Recorder before = new Recorder();
    ClientCalls.asyncServerStreamingCall(
        ch.newCall(ScriptedServer.STREAM, CallOptions.DEFAULT), "req", before);
    clock.forward(Duration.ofSeconds(1));
    assertThat(before.messages).containsExactly("a", "b");
    assertThat(before.completed).isTrue();
    assertThat(server.attempts).hasValue(2);

    server.then(
        (req, obs) -> {
          obs.onNext("c");
          obs.onError(Status.UNAVAILABLE.asRuntimeException());
        });
    Recorder after = new Recorder();
    ClientCalls.asyncServerStreamingCall(
        ch.newCall(ScriptedServer.STREAM, CallOptions.DEFAULT), "req", after);
    clock.forward(Duration.ofSeconds(10));
    assertThat(server.attempts).hasValue(3);
    assertThat(after.messages).containsExactly("c");
    assertThat(LifelineCallException.from(after.error.get()).orElseThrow().report().stopReason())
        .isEqualTo(StopReason.STREAM_STARTED);
  }

  @Test
  void flowControlCreditRequestedWhileWaitingToRetryIsReplayedOnTheNextAttempt() {
    Channel ch = ClientInterceptors.intercept(raw, calls(exponential(3)).build().interceptor());
    server.then(
        fail(Status.UNAVAILABLE),
        (req, obs) -> {
          obs.onNext("1");
          obs.onNext("2");
          obs.onNext("3");
          obs.onCompleted();
        });
    List<String> got = new CopyOnWriteArrayList<>();
    AtomicReference<Status> closed = new AtomicReference<>();
    io.grpc.ClientCall<String, String> call =
        ch.newCall(ScriptedServer.STREAM, CallOptions.DEFAULT);
    call.start(
        new io.grpc.ClientCall.Listener<String>() {
          @Override
          public void onMessage(String message) {
            got.add(message);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.set(status);
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage("req");
    call.halfClose();
    assertThat(server.attempts).hasValue(1);
    call.request(2);
    clock.forward(Duration.ofSeconds(1));
    assertThat(got).containsExactly("1", "2", "3");
    assertThat(closed.get().isOk()).isTrue();
  }

  @Test
  void flowControlCreditRequestedDuringAnUncommittedAttemptReachesThatAttempt() {
    Channel ch = ClientInterceptors.intercept(raw, calls(exponential(3)).build().interceptor());
    AtomicReference<StreamObserver<String>> held = new AtomicReference<>();
    server.then((req, obs) -> held.set(obs));
    List<String> got = new CopyOnWriteArrayList<>();
    io.grpc.ClientCall<String, String> call =
        ch.newCall(ScriptedServer.STREAM, CallOptions.DEFAULT);
    call.start(
        new io.grpc.ClientCall.Listener<String>() {
          @Override
          public void onMessage(String message) {
            got.add(message);
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage("req");
    call.halfClose();
    call.request(2);
    held.get().onNext("1");
    held.get().onNext("2");
    held.get().onNext("3");
    assertThat(got).containsExactly("1", "2", "3");
    held.get().onCompleted();
  }

  @Test
  void staticHeadersReachTheServerAndSecretsNeverReachTheError() {
    server.otherwise(
        fail(Status.PERMISSION_DENIED.withDescription("token s3cr3t-dapr-token rejected")));
    Channel ch =
        ClientInterceptors.intercept(
            raw,
            calls(exponential(3))
                .header("dapr-app-id", "ai-model")
                .header("dapr-api-token", "s3cr3t-dapr-token")
                .build()
                .interceptor());
    LifelineCallException e = failure(unary(ch, ScriptedServer.UNARY));
    Metadata h = server.headers.get(0);
    assertThat(h.get(Metadata.Key.of("dapr-app-id", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("ai-model");
    assertThat(h.get(Metadata.Key.of("dapr-api-token", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("s3cr3t-dapr-token");
    assertThat(e.getMessage()).doesNotContain("s3cr3t").contains("<redacted>");
    assertThat(e.report().attempts().get(0).status()).doesNotContain("s3cr3t");
  }

  @Test
  void nonIdempotentMethodIsRetriedOnlyWhenTheRequestProvablyNeverArrived() {
    RetryPolicy once = exponential(3).toBuilder().idempotent(false).build();
    Channel ch =
        ClientInterceptors.intercept(
            raw,
            calls(exponential(3)).retryPolicy("test.Scripted/Create", once).build().interceptor());

    server.then(fail(Status.UNAVAILABLE.withDescription("connection reset")));
    LifelineCallException e = failure(unary(ch, ScriptedServer.CREATE));
    assertThat(e.report().stopReason()).isEqualTo(StopReason.NOT_IDEMPOTENT);
    assertThat(server.attempts).hasValue(1);

    server.then(fail(Status.UNAVAILABLE.withDescription("NOT_ACTIVE: standby b")), ok("created"));
    ListenableFuture<String> f = unary(ch, ScriptedServer.CREATE);
    clock.forward(Duration.ofSeconds(1));
    assertThat(f).isDone();
    assertThat(server.attempts).hasValue(3);
  }

  @Test
  void cancelledByTheServerIsRetriedLikeUnavailable() throws Exception {
    // A restarting server resets in-flight streams with RST_STREAM CANCEL; the caller did not
    // cancel, so the (idempotent) call is retried rather than failed.
    server.then(fail(Status.CANCELLED.withDescription("RST_STREAM")), ok("after restart"));
    Channel ch = ClientInterceptors.intercept(raw, calls(exponential(3)).build().interceptor());
    ListenableFuture<String> f = unary(ch, ScriptedServer.UNARY);
    clock.forward(Duration.ofSeconds(1));
    assertThat(f.get()).isEqualTo("after restart");
    assertThat(server.attempts).hasValue(2);
  }

  @Test
  void cancellingDuringBackoffStopsWithoutAnotherAttempt() {
    server.otherwise(fail(Status.UNAVAILABLE));
    Channel ch = ClientInterceptors.intercept(raw, calls(exponential(3)).build().interceptor());
    ListenableFuture<String> f = unary(ch, ScriptedServer.UNARY);
    assertThat(clock.pendingTasks()).isEqualTo(1);
    f.cancel(true);
    assertThat(clock.pendingTasks()).isZero();
    clock.forward(Duration.ofSeconds(10));
    assertThat(server.attempts).hasValue(1);
    assertThat(meters.get("lifeline.calls").tag("outcome", "cancelled").counter().count())
        .isEqualTo(1);
  }

  @Test
  void perAttemptTimeoutEndsAStalledAttemptAndTheRetrySucceeds() throws Exception {
    server.then(ScriptedServer.stall(), ok("second"));
    RetryPolicy p =
        exponential(3).toBuilder()
            .perAttemptTimeout(Duration.ofMillis(200))
            .retryOn(FailureKind.UNAVAILABLE, FailureKind.TIMEOUT)
            .build();
    Channel ch = ClientInterceptors.intercept(raw, calls(p).build().interceptor());
    ListenableFuture<String> f = unary(ch, ScriptedServer.UNARY);
    await().atMost(Duration.ofSeconds(10)).until(() -> clock.pendingTasks() == 1);
    clock.forward(Duration.ofSeconds(1));
    assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("second");
    assertThat(server.attempts).hasValue(2);
  }

  @Test
  void bidiCallsPassThroughWithStaticHeaders() {
    Channel ch =
        ClientInterceptors.intercept(
            raw, calls(exponential(3)).header("dapr-app-id", "chat").build().interceptor());
    Recorder r = new Recorder();
    StreamObserver<String> req =
        ClientCalls.asyncBidiStreamingCall(ch.newCall(ScriptedServer.BIDI, CallOptions.DEFAULT), r);
    req.onNext("hi");
    req.onCompleted();
    assertThat(r.messages).containsExactly("echo:hi");
    assertThat(
            server
                .headers
                .get(0)
                .get(Metadata.Key.of("dapr-app-id", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("chat");
  }

  /** Records a response stream. */
  static final class Recorder implements StreamObserver<String> {
    final List<String> messages = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    volatile boolean completed;

    @Override
    public void onNext(String value) {
      messages.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
    }

    @Override
    public void onCompleted() {
      completed = true;
    }
  }
}
