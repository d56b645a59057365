package dev.lifeline.active;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.grpc.NotActive;
import dev.lifeline.testing.FakeClock;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
            .addService(
                ServerInterceptors.intercept(
                    TestGroupService.definition(m.id(), checker), interceptor))
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
        .hasMessageContaining("<= PT10S");
    assertThatThrownBy(() -> ExclusiveInterceptor.builder(m).electionWait(Duration.ofMillis(-1)))
        .hasMessageContaining("electionWait");
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
