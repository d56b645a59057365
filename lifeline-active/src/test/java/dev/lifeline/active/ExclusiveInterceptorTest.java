package dev.lifeline.active;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.grpc.NotActive;
import dev.lifeline.testing.FakeClock;
import dev.lifeline.testing.Utf8Marshaller;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The interceptor on in-process servers with direct executors, so that a call reaches the member
 * before the client's call returns, and members on fake time, so that the test decides when an
 * election happens.
 */
class ExclusiveInterceptorTest {

  private static final GroupId GROUP = GroupId.of("orders", "eu-1");

  private final FakeClock clock = new FakeClock();
  private final InMemoryLeaseStore store = InMemoryLeaseStore.create(clock, clock.clock());
  private final OverlapChecker checker = new OverlapChecker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<ActiveMember> members = new ArrayList<>();
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void tearDown() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
    members.forEach(ActiveMember::close);
  }

  private ActiveMember member(String id) {
    ActiveMember m =
        ActiveMember.builder(GROUP, id, store)
            .address(id + ":50051")
            .ticker(clock)
            .clock(clock.clock())
            .scheduler(clock.scheduler())
            .build();
    members.add(m);
    return m;
  }

  private ManagedChannel serve(ActiveMember m, Duration electionWait) throws IOException {
    return serve(m, electionWait, TestGroupService.definition(m.id(), checker));
  }

  private ManagedChannel serve(
      ActiveMember m, Duration electionWait, ServerServiceDefinition service) throws IOException {
    String name = "exclusive-" + m.id() + "-" + System.identityHashCode(this);
    ExclusiveInterceptor interceptor =
        ExclusiveInterceptor.builder(m)
            .exclusive(TestGroupService.PROCESS)
            .electionWait(electionWait)
            .meterRegistry(registry)
            .build();
    servers.add(
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(service, interceptor))
            .build()
            .start());
    ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
    channels.add(ch);
    return ch;
  }

  private static Future<String> process(ManagedChannel ch) {
    return ClientCalls.futureUnaryCall(
        ch.newCall(
            TestGroupService.PROCESS, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES)),
        "order");
  }

  @Test
  void standbyHoldsACallDuringTheElectionAndServesItWhenItWins() throws Exception {
    ActiveMember a = member("a");
    a.start();
    clock.runDueTasks();
    ActiveMember b = member("b");
    b.start();
    clock.runDueTasks();
    ManagedChannel toB = serve(b, Duration.ofMillis(500));
    a.close(); // released; b's attempt to take over is due but has not run

    Future<String> call = process(toB);
    assertThat(call).as("held, not answered NOT_ACTIVE").isNotDone();
    clock.runDueTasks(); // b wins without any time passing

    assertThat(call.get(5, TimeUnit.SECONDS)).startsWith("b:");
    assertThat(b.isActive()).isTrue();
    assertThat(registry.get("lifeline.active.exclusive.held").counter().count()).isEqualTo(1.0);
    assertThat(
            registry
                .get("lifeline.active.exclusive.calls")
                .tag("outcome", "admitted")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aHeldCallWhoseHandlerFailsToStartIsClosedNotLeftHanging() throws Exception {
    ActiveMember a = member("a");
    a.start();
    clock.runDueTasks();
    ActiveMember b = member("b");
    b.start();
    clock.runDueTasks();
    ServerServiceDefinition throwing =
        ServerServiceDefinition.builder("lifeline.test.Group")
            .addMethod(
                TestGroupService.PROCESS,
                (call, headers) -> {
                  throw new IllegalStateException("handler broke at start");
                })
            .build();
    ManagedChannel toB = serve(b, Duration.ofMillis(500), throwing);
    a.close();

    Future<String> call = process(toB);
    assertThat(call).as("held through the election").isNotDone();
    clock.runDueTasks(); // b wins; starting the handler throws on the deciding thread

    assertThat(call).as("closed once the decision failed, well before its deadline").isDone();
    assertThatThrownBy(call::get)
        .hasCauseInstanceOf(StatusRuntimeException.class)
        .cause()
        .satisfies(
            e ->
                assertThat(((StatusRuntimeException) e).getStatus().getCode())
                    .isEqualTo(Status.Code.UNKNOWN));
  }

  @Test
  void standbyAnswersWithTheWinnerAsHintOnceTheElectionSettles() throws Exception {
    ActiveMember a = member("a");
    a.start();
    clock.runDueTasks();
    ActiveMember b = member("b");
    ActiveMember c = member("c");
    ManagedChannel toC = serve(c, Duration.ofMillis(500));
    a.close();
    b.start();
    clock.runDueTasks(); // b wins; c has not started, so it never competes

    c.start(); // c's first attempt is due, so it does not know b yet
    Future<String> call = process(toC);
    clock.runDueTasks();

    StatusRuntimeException e = failure(call);
    assertThat(NotActive.isNotActive(e)).isTrue();
    assertThat(NotActive.hint(e.getTrailers()).activeAddress()).contains("b:50051");
  }

  @Test
  void aHeldCallIsAnsweredWithoutAHintWhenItsWaitRunsOut() throws Exception {
    ActiveMember lonely = member("a"); // never started: no election will ever end
    ManagedChannel ch = serve(lonely, Duration.ofMillis(300));
    Future<String> call = process(ch);
    clock.forward(Duration.ofMillis(299));
    assertThat(call).isNotDone();
    clock.forward(Duration.ofMillis(1));

    StatusRuntimeException e = failure(call);
    assertThat(NotActive.isNotActive(e)).isTrue();
    assertThat(NotActive.hint(e.getTrailers()).activeAddress()).isEmpty();
  }

  @Test
  void zeroElectionWaitAnswersAtOnce() throws Exception {
    ActiveMember lonely = member("a");
    ManagedChannel ch = serve(lonely, Duration.ZERO);
    assertThat(NotActive.isNotActive(failure(process(ch)))).isTrue();
  }

  @Test
  void aCallHeldOnAClosingActiveLearnsItsSuccessor() throws Exception {
    ActiveMember a = member("a");
    a.start();
    clock.runDueTasks();
    ActiveMember b = member("b");
    b.start();
    clock.runDueTasks();
    ManagedChannel toA = serve(a, Duration.ofSeconds(5));
    // Stepped down, not yet released, as in the middle of close(): hold the permit of a call in
    // flight so that close() waits in its drain.
    ExclusivePermit inFlight = a.tryEnterExclusive().orElseThrow();
    Thread closer = new Thread(a::close, "closer");
    closer.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> a.role() == Role.STANDBY);

    Future<String> call = process(toA);
    assertThat(call).isNotDone();
    inFlight.close(); // drain ends, a releases; b's takeover is due
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              clock.runDueTasks();
              return call.isDone();
            });

    StatusRuntimeException e = failure(call);
    assertThat(NotActive.hint(e.getTrailers()).activeAddress()).contains("b:50051");
    closer.join(5_000);
    assertThat(closer.isAlive()).isFalse();
  }

  @Test
  void electionWaitIsValidatedNamingFieldAndRange() {
    ActiveMember m = member("a");
    assertThatThrownBy(() -> ExclusiveInterceptor.builder(m).electionWait(Duration.ofSeconds(11)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("electionWait: PT11S")
        .hasMessageContaining("<= 10 s");
    assertThatThrownBy(() -> ExclusiveInterceptor.builder(m).electionWait(Duration.ofMillis(-1)))
        .hasMessageContaining("electionWait");
  }

  // ---- execution-time checks (issue 13) ------------------------------------------------

  /** Unary; "later" keeps the call open until the test completes it (an asynchronous handler). */
  private static final MethodDescriptor<String, String> WORK =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("lifeline.test.Edge/Work")
          .setRequestMarshaller(Utf8Marshaller.INSTANCE)
          .setResponseMarshaller(Utf8Marshaller.INSTANCE)
          .build();

  private static final MethodDescriptor<String, String> UPLOAD =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
          .setFullMethodName("lifeline.test.Edge/Upload")
          .setRequestMarshaller(Utf8Marshaller.INSTANCE)
          .setResponseMarshaller(Utf8Marshaller.INSTANCE)
          .build();

  private final List<String> handled = new CopyOnWriteArrayList<>();
  private final AtomicReference<StreamObserver<String>> unanswered = new AtomicReference<>();
  private final AtomicReference<Context> handlerContext = new AtomicReference<>();
  private final AtomicReference<Throwable> uploadEnded = new AtomicReference<>();

  private ManagedChannel serveEdges(ActiveMember m) throws IOException {
    String name = "edges-" + m.id() + "-" + System.identityHashCode(this);
    ServerServiceDefinition def =
        ServerServiceDefinition.builder("lifeline.test.Edge")
            .addMethod(
                WORK,
                ServerCalls.asyncUnaryCall(
                    (req, obs) -> {
                      handled.add(req + "@" + m.isActive());
                      handlerContext.set(Context.current());
                      if (req.equals("later")) {
                        unanswered.set(obs);
                      } else {
                        obs.onNext("done");
                        obs.onCompleted();
                      }
                    }))
            .addMethod(
                UPLOAD,
                ServerCalls.asyncClientStreamingCall(
                    obs ->
                        new StreamObserver<String>() {
                          @Override
                          public void onNext(String part) {
                            handled.add(part);
                          }

                          @Override
                          public void onError(Throwable t) {
                            uploadEnded.set(t);
                          }

                          @Override
                          public void onCompleted() {
                            obs.onNext("stored " + handled.size());
                            obs.onCompleted();
                          }
                        }))
            .build();
    ExclusiveInterceptor interceptor =
        ExclusiveInterceptor.builder(m)
            .exclusive(WORK)
            .exclusive(UPLOAD)
            .electionWait(Duration.ZERO)
            .meterRegistry(registry)
            .build();
    servers.add(
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(def, interceptor))
            .build()
            .start());
    ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
    channels.add(ch);
    return ch;
  }

  /** An active member on a store the test can cut off. */
  private ActiveMember activeOn(ControllableStore s) {
    ActiveMember m =
        ActiveMember.builder(GROUP, "a", s)
            .address("a:50051")
            // Real-time bound of close(): generous, so a slow machine never ends a drain early.
            .options(ActiveOptions.builder().drainTimeout(Duration.ofSeconds(30)).build())
            .ticker(clock)
            .clock(clock.clock())
            .scheduler(clock.scheduler())
            .build();
    members.add(m);
    m.start();
    clock.runDueTasks();
    assertThat(m.isActive()).isTrue();
    return m;
  }

  private static final class RecordingListener extends ClientCall.Listener<String> {
    final AtomicReference<Status> status = new AtomicReference<>();
    final AtomicReference<Metadata> trailers = new AtomicReference<>();

    @Override
    public void onClose(Status s, Metadata t) {
      trailers.set(t);
      status.set(s);
    }
  }

  // Regression (issue 13): the permit was checked when the headers arrived, and the unary handler
  // then ran at half-close after the tenure had ended, with a stale token.
  @Test
  void aCallAdmittedBeforeTheTenureEndedDoesNotRunItsHandlerAfterwards() throws Exception {
    ControllableStore s = new ControllableStore(store);
    ActiveMember a = activeOn(s);
    ManagedChannel ch = serveEdges(a);
    ClientCall<String, String> call =
        ch.newCall(WORK, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES));
    RecordingListener client = new RecordingListener();
    call.start(client, new Metadata()); // headers only: admitted while ACTIVE
    call.request(1);
    s.kill();
    clock.forward(Duration.ofMillis(1300)); // past the local deadline: a steps down
    assertThat(a.isActive()).isFalse();

    call.sendMessage("slow upload");
    call.halfClose();

    assertThat(handled).as("handler runs").isEmpty();
    assertThat(NotActive.isNotActive(client.status.get(), client.trailers.get()))
        .as("never processed, so safe to send elsewhere: %s", client.status.get())
        .isTrue();
    assertThat(
            registry
                .get("lifeline.active.exclusive.calls")
                .tag("outcome", "revoked")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  // Regression (issue 13): the permit of a unary call was released when onHalfClose returned, so
  // an asynchronous handler still running was not drained and close() released the lease.
  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void anAsynchronousHandlerCountsAsInFlightUntilItsCallCompletes() throws Exception {
    ActiveMember a = activeOn(new ControllableStore(store));
    ManagedChannel ch = serveEdges(a);
    Future<String> call =
        ClientCalls.futureUnaryCall(
            ch.newCall(WORK, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES)), "later");
    assertThat(unanswered.get()).as("the handler returned, its call is open").isNotNull();
    Thread closing = new Thread(a::close, "closing");
    closing.start();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> closing.getState() == Thread.State.TIMED_WAITING);
    assertThat(store.read(GROUP)).as("the lease while the call runs").isPresent();
    unanswered.get().onNext("done");
    unanswered.get().onCompleted();
    closing.join(5_000);
    assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo("done");
    assertThat(store.read(GROUP)).as("released once the call completed").isEmpty();
  }

  // Regression (issue 13): nothing cancelled a running exclusive call at step-down, and its
  // context carried no tenure deadline.
  @Test
  void theHandlerRunsInAContextWithTheTenureDeadlineThatIsCancelledAtStepDown() throws Exception {
    ControllableStore s = new ControllableStore(store);
    ActiveMember a = activeOn(s);
    ManagedChannel ch = serveEdges(a);
    ClientCalls.futureUnaryCall(
        ch.newCall(WORK, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES)), "later");
    Context ctx = handlerContext.get();
    assertThat(FencingToken.KEY.get(ctx)).isEqualTo(a.fencingToken().orElseThrow());
    // Acquired at t = 0: the tenure ends at ttl - safetyMargin = 1.3 s, long before the call's 1
    // min.
    assertThat(ctx.getDeadline().timeRemaining(TimeUnit.MILLISECONDS)).isBetween(1L, 1300L);
    assertThat(ctx.isCancelled()).isFalse();
    s.kill();
    clock.forward(Duration.ofMillis(1300));
    assertThat(a.isActive()).isFalse();
    assertThat(ctx.isCancelled()).as("cancelled at step-down").isTrue();
  }

  @Test
  void aStreamingCallWhoseTenureEndsMidStreamIsAbortedNotSentElsewhere() throws Exception {
    ControllableStore s = new ControllableStore(store);
    ActiveMember a = activeOn(s);
    ManagedChannel ch = serveEdges(a);
    ClientCall<String, String> call =
        ch.newCall(UPLOAD, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES));
    RecordingListener client = new RecordingListener();
    call.start(client, new Metadata());
    call.request(1);
    call.sendMessage("part-1");
    s.kill();
    clock.forward(Duration.ofMillis(1300));

    call.sendMessage("part-2");

    assertThat(handled).containsExactly("part-1");
    assertThat(client.status.get().getCode()).isEqualTo(Status.Code.ABORTED);
    assertThat(NotActive.isNotActive(client.status.get(), client.trailers.get()))
        .as("part of the call was processed: not a NOT_ACTIVE")
        .isFalse();
    assertThat(uploadEnded.get()).as("the handler learns the call is over").isNotNull();
  }

  private static StatusRuntimeException failure(Future<String> call) throws Exception {
    try {
      String r = call.get(5, TimeUnit.SECONDS);
      throw new AssertionError("expected NOT_ACTIVE, got " + r);
    } catch (ExecutionException e) {
      return (StatusRuntimeException) e.getCause();
    }
  }
}
