package dev.lifeline.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.common.util.concurrent.MoreExecutors;
import dev.lifeline.core.Backoff;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.Jitter;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.testing.Utf8Marshaller;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ConnectivityState;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code ClientCall} contract over every way a user reaches a Lifeline call: each wiring, stub
 * kind, executor and deadline source, against each fault. Every case asserts that the call returns
 * within its deadline (plus 150 ms), that a non-idempotent handler ran at most once, and that no
 * logical call is left in flight (which would hold a breaker permit).
 *
 * <p>The servers are real Netty servers on 127.0.0.1; a "down" target is a loopback port nothing
 * listens on.
 */
class CallContractMatrixTest {

  private static final Duration DEADLINE = Duration.ofMillis(200);
  // How late past its deadline a call may end and still count as bounded by it. A call that ignores
  // its deadline hangs for seconds (until the server answers or the test's timeout); 150 ms covers
  // a
  // cold test JVM's first call and a busy 2-core machine (50 ms failed about one run in five).
  private static final long MARGIN_MS = 150;

  /** A method that is not marked idempotent in its descriptor: it must never run twice. */
  static final MethodDescriptor<String, String> CREATE = method("Create", false, false);

  /** A method marked idempotent, as {@code option idempotency_level = IDEMPOTENT} does. */
  static final MethodDescriptor<String, String> GET = method("Get", true, false);

  static final MethodDescriptor<String, String> LIST = method("List", false, true);

  static final MethodDescriptor<String, String> WATCH = method("Watch", true, true);

  private static MethodDescriptor<String, String> method(
      String name, boolean idempotent, boolean streaming) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(
            streaming
                ? MethodDescriptor.MethodType.SERVER_STREAMING
                : MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("matrix.Svc/" + name)
        .setIdempotent(idempotent)
        .setRequestMarshaller(Utf8Marshaller.INSTANCE)
        .setResponseMarshaller(Utf8Marshaller.INSTANCE)
        .build();
  }

  enum Wiring {
    LEASE,
    LEASE_WITH_CALLS,
    STICKY,
    STICKY_WITH_CALLS
  }

  enum Stub {
    BLOCKING,
    FUTURE,
    ASYNC,
    SERVER_STREAMING
  }

  enum Exec {
    DEFAULT,
    DIRECT,
    CUSTOM
  }

  enum DeadlineFrom {
    CALL_OPTIONS,
    CONTEXT,
    NONE
  }

  enum Fault {
    /** Nothing listens on the target for the whole call. */
    SERVER_DOWN,
    /** The handler runs (a write happened) and then answers UNAVAILABLE. */
    EXECUTES_THEN_UNAVAILABLE,
    /** The pool, or the sticky channel, was closed before the call. */
    CLOSED,
    /** The caller's Context was cancelled before the call started. */
    CANCELLED_BEFORE_START,
    /** The caller's Context is cancelled 10 ms after a retryable failure, during the backoff. */
    CONTEXT_CANCELLED_DURING_BACKOFF,
    /** The server asks for a retry after 99999999999999 ms. */
    HUGE_PUSHBACK,
    /** The channel (or every member) is in TRANSIENT_FAILURE before the call. */
    TRANSIENT_FAILURE
  }

  private static Server server;
  private static String liveTarget;
  private static String downTarget;
  private static ScheduledExecutorService timers;
  private static ExecutorService custom;
  private static final AtomicInteger executions = new AtomicInteger();
  private static final AtomicReference<Fault> mode = new AtomicReference<>();
  private static final AtomicReference<Context.CancellableContext> caseContext =
      new AtomicReference<>();

  @BeforeAll
  static void startServers() throws IOException {
    timers = Executors.newSingleThreadScheduledExecutor();
    custom = Executors.newFixedThreadPool(2);
    ServerServiceDefinition svc =
        ServerServiceDefinition.builder("matrix.Svc")
            .addMethod(CREATE, ServerCalls.asyncUnaryCall(CallContractMatrixTest::handle))
            .addMethod(GET, ServerCalls.asyncUnaryCall(CallContractMatrixTest::handle))
            .addMethod(LIST, ServerCalls.asyncServerStreamingCall(CallContractMatrixTest::handle))
            .addMethod(WATCH, ServerCalls.asyncServerStreamingCall(CallContractMatrixTest::handle))
            .build();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(svc)
            .build()
            .start();
    liveTarget = "127.0.0.1:" + server.getPort();
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      downTarget = "127.0.0.1:" + s.getLocalPort();
    }
  }

  @AfterAll
  static void stopServers() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    timers.shutdownNow();
    custom.shutdownNow();
  }

  private static void handle(String request, StreamObserver<String> response) {
    executions.incrementAndGet();
    Fault f = mode.get();
    if (f == Fault.HUGE_PUSHBACK) {
      Metadata trailers = new Metadata();
      trailers.put(GrpcFailures.RETRY_PUSHBACK_MS, "99999999999999");
      response.onError(Status.UNAVAILABLE.withDescription("busy").asRuntimeException(trailers));
      return;
    }
    response.onError(Status.UNAVAILABLE.withDescription("database down").asRuntimeException());
    if (f == Fault.CONTEXT_CANCELLED_DURING_BACKOFF) {
      Context.CancellableContext c = caseContext.get();
      timers.schedule(() -> c.cancel(null), 10, TimeUnit.MILLISECONDS);
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (Fault f : Fault.values()) {
      for (Wiring w : Wiring.values()) {
        for (Stub s : Stub.values()) {
          for (Exec e : Exec.values()) {
            for (DeadlineFrom d : DeadlineFrom.values()) {
              all.add(Arguments.of(f, w, s, e, d));
            }
          }
        }
      }
    }
    return all.stream();
  }

  /** The resources of one case; closed after it. */
  private static final class Setup implements AutoCloseable {
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final ChannelPool pool;
    final LifelineChannel lease;
    final StickyGroupChannel sticky;
    final Channel channel;

    Setup(Wiring wiring, String target) {
      pool =
          ChannelPool.builder()
              .builderFactory(ChannelBuilderFactory.plaintext())
              .meterRegistry(meters)
              .build();
      lease = pool.lease(target, ChannelOptions.builder().defaultDeadline(DEADLINE).build());
      LifelineCalls calls =
          LifelineCalls.builder()
              .service("matrix")
              .retryPolicy(
                  RetryPolicy.builder()
                      .maxAttempts(5)
                      .backoff(
                          Backoff.exponential(Duration.ofMillis(50), Duration.ofMillis(100))
                              .withJitter(Jitter.none()))
                      .build())
              .circuitBreakers(CircuitBreakers.builder().meterRegistry(meters).build())
              .meterRegistry(meters)
              .build();
      if (wiring == Wiring.STICKY || wiring == Wiring.STICKY_WITH_CALLS) {
        sticky =
            StickyGroupChannel.builder("matrix")
                .member(target, lease)
                .callPolicy(
                    CallPolicy.builder()
                        .service("matrix-group")
                        .retryPolicy(StickyGroupChannel.defaultRetryPolicy())
                        .circuitBreakers(CircuitBreakers.builder().meterRegistry(meters).build())
                        .meterRegistry(meters)
                        .build())
                .build();
      } else {
        sticky = null;
      }
      Channel base = sticky != null ? sticky : lease;
      channel =
          wiring == Wiring.LEASE_WITH_CALLS || wiring == Wiring.STICKY_WITH_CALLS
              ? calls.intercept(base)
              : base;
    }

    void closeChannel() {
      if (sticky != null) {
        sticky.close();
      }
      pool.close();
    }

    /**
     * Logical calls started and not finished: each would hold a breaker permit. (A gauge whose
     * policy was collected reads NaN and holds nothing.)
     */
    double inFlight() {
      return meters.find("lifeline.calls.in_flight").gauges().stream()
          .mapToDouble(Gauge::value)
          .filter(v -> !Double.isNaN(v))
          .sum();
    }

    @Override
    public void close() {
      closeChannel();
    }
  }

  @ParameterizedTest(name = "{0} {1} {2} {3} {4}")
  @MethodSource("cases")
  void everyCallEndsInTimeRunsAWriteAtMostOnceAndLeaksNothing(
      Fault fault, Wiring wiring, Stub stub, Exec exec, DeadlineFrom deadlineFrom) {
    assertTimeoutPreemptively(
        Duration.ofSeconds(5),
        () -> runCase(fault, wiring, stub, exec, deadlineFrom),
        () ->
            "the call hung: "
                + fault
                + " "
                + wiring
                + " "
                + stub
                + " "
                + exec
                + " "
                + deadlineFrom);
  }

  private void runCase(Fault fault, Wiring wiring, Stub stub, Exec exec, DeadlineFrom deadlineFrom)
      throws Exception {
    mode.set(fault);
    executions.set(0);
    boolean down = fault == Fault.SERVER_DOWN || fault == Fault.TRANSIENT_FAILURE;
    try (Setup setup = new Setup(wiring, down ? downTarget : liveTarget)) {
      if (fault == Fault.TRANSIENT_FAILURE) {
        ClientCalls.futureUnaryCall(
            setup.lease.newCall(GET, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.SECONDS)),
            "warm-up");
        pollUntil(() -> setup.lease.state() == ConnectivityState.TRANSIENT_FAILURE);
      }
      if (fault == Fault.CLOSED) {
        setup.closeChannel();
      }
      boolean retryable =
          fault == Fault.CONTEXT_CANCELLED_DURING_BACKOFF || fault == Fault.HUGE_PUSHBACK;
      MethodDescriptor<String, String> method =
          stub == Stub.SERVER_STREAMING ? (retryable ? WATCH : LIST) : (retryable ? GET : CREATE);
      CallOptions options = CallOptions.DEFAULT;
      if (exec == Exec.DIRECT) {
        options = options.withExecutor(MoreExecutors.directExecutor());
      } else if (exec == Exec.CUSTOM) {
        options = options.withExecutor(custom);
      }
      if (deadlineFrom == DeadlineFrom.CALL_OPTIONS) {
        options = options.withDeadlineAfter(DEADLINE.toNanos(), TimeUnit.NANOSECONDS);
      }
      Context.CancellableContext ctx =
          deadlineFrom == DeadlineFrom.CONTEXT
              ? Context.current()
                  .withDeadlineAfter(DEADLINE.toNanos(), TimeUnit.NANOSECONDS, timers)
              : Context.current().withCancellation();
      caseContext.set(ctx);
      if (fault == Fault.CANCELLED_BEFORE_START) {
        ctx.cancel(null);
      }
      CallOptions finalOptions = options;
      long start = System.nanoTime();
      Status status;
      try {
        status = ctx.call(() -> invoke(setup.channel, method, finalOptions, stub));
      } finally {
        ctx.cancel(null);
      }
      long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(elapsedMs)
          .as("elapsed ms (deadline %d ms), status %s", DEADLINE.toMillis(), status)
          .isLessThanOrEqualTo(DEADLINE.toMillis() + MARGIN_MS);
      assertThat(status.getCode()).as("status %s", status).isIn(expected(fault, wiring));
      if (fault == Fault.CONTEXT_CANCELLED_DURING_BACKOFF) {
        assertThat(elapsedMs).as("a cancelled Context ends the backoff at once").isLessThan(100);
      }
      if (!retryable) {
        assertThat(executions.get()).as("handler executions of %s", method).isLessThanOrEqualTo(1);
      }
      if (wiring != Wiring.LEASE) {
        assertThat(setup.meters.find("lifeline.calls.in_flight").gauges())
            .as("the engine's in-flight gauge")
            .isNotEmpty();
      }
      pollUntil(() -> setup.inFlight() == 0);
    }
  }

  private static Set<Status.Code> expected(Fault fault, Wiring wiring) {
    if (wiring == Wiring.LEASE && fault == Fault.CONTEXT_CANCELLED_DURING_BACKOFF) {
      // A lease alone does not retry: the call ends with the server's answer, or, when that answer
      // reaches a busy executor after the cancel 10 ms later, with grpc's own CANCELLED.
      return Set.of(Status.Code.UNAVAILABLE, Status.Code.CANCELLED);
    }
    switch (fault) {
      case CANCELLED_BEFORE_START:
      case CONTEXT_CANCELLED_DURING_BACKOFF:
        return Set.of(Status.Code.CANCELLED);
      case CLOSED:
        return Set.of(Status.Code.UNAVAILABLE, Status.Code.FAILED_PRECONDITION);
      case EXECUTES_THEN_UNAVAILABLE:
        return Set.of(Status.Code.UNAVAILABLE);
      default:
        return Set.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);
    }
  }

  /** Makes the call with {@code stub} and returns how it ended. */
  private static Status invoke(
      Channel channel, MethodDescriptor<String, String> method, CallOptions options, Stub stub)
      throws Exception {
    switch (stub) {
      case BLOCKING:
        try {
          ClientCalls.blockingUnaryCall(channel, method, options, "req");
          return Status.OK;
        } catch (RuntimeException e) {
          return Status.fromThrowable(e);
        }
      case FUTURE:
        try {
          ClientCalls.futureUnaryCall(channel.newCall(method, options), "req")
              .get(10, TimeUnit.SECONDS);
          return Status.OK;
        } catch (ExecutionException e) {
          return Status.fromThrowable(e.getCause());
        }
      case ASYNC:
        {
          CompletableFuture<Status> done = new CompletableFuture<>();
          ClientCalls.asyncUnaryCall(
              channel.newCall(method, options),
              "req",
              new StreamObserver<String>() {
                @Override
                public void onNext(String value) {}

                @Override
                public void onError(Throwable t) {
                  done.complete(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                  done.complete(Status.OK);
                }
              });
          return done.get(10, TimeUnit.SECONDS);
        }
      case SERVER_STREAMING:
        try {
          Iterator<String> it =
              ClientCalls.blockingServerStreamingCall(channel, method, options, "req");
          while (it.hasNext()) {
            it.next();
          }
          return Status.OK;
        } catch (RuntimeException e) {
          return Status.fromThrowable(e);
        }
      default:
        throw new AssertionError(stub);
    }
  }

  private static void pollUntil(java.util.concurrent.Callable<Boolean> condition) {
    await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(1)).until(condition);
  }
}
