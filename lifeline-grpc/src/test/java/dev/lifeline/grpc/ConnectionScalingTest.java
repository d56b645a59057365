package dev.lifeline.grpc;

import static dev.lifeline.testing.StringEchoService.SAY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.FakeClock;
import dev.lifeline.testing.StringEchoService;
import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Several connections per target, added only when every usable one is full (gRFC A105). */
class ConnectionScalingTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  private final StringEchoService echo = new StringEchoService();
  private final String target = "scaling-" + UUID.randomUUID();
  private final List<Server> servers = new ArrayList<>();
  private RecordingFactory factory = RecordingFactory.inProcess();
  private ChannelPool pool;

  @BeforeEach
  void setUp() throws IOException {
    servers.add(
        InProcessServerBuilder.forName(target).addService(echo.definition()).build().start());
    pool = ChannelPool.builder().builderFactory(factory).build();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    echo.releaseHeld();
    pool.close();
    factory.shutdownAll();
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private Future<String> startHeldCall(LifelineChannel lease, int expectedHeld) {
    Future<String> f = ClientCalls.futureUnaryCall(lease.newCall(SAY, CallOptions.DEFAULT), "h");
    await().atMost(WAIT).until(() -> echo.heldCount() == expectedHeld);
    return f;
  }

  @Test
  void aConnectionIsAddedOnlyWhenEveryExistingOneIsAtItsCallLimit() throws Exception {
    LifelineChannel lease =
        pool.lease(
            target,
            ChannelOptions.builder()
                .maxConnectionsPerTarget(3)
                .maxConcurrentCallsPerConnection(2)
                .build());
    echo.hold();
    List<Future<String>> calls = new ArrayList<>();
    calls.add(startHeldCall(lease, 1));
    calls.add(startHeldCall(lease, 2));
    assertThat(factory.built).hasSize(1);
    calls.add(startHeldCall(lease, 3));
    assertThat(factory.built).hasSize(2);
    calls.add(startHeldCall(lease, 4));
    assertThat(factory.built).hasSize(2);
    calls.add(startHeldCall(lease, 5));
    calls.add(startHeldCall(lease, 6));
    assertThat(factory.built).hasSize(3);
    calls.add(startHeldCall(lease, 7));
    calls.add(startHeldCall(lease, 8));
    assertThat(factory.built).as("never more than the maximum").hasSize(3);

    echo.releaseHeld();
    for (Future<String> call : calls) {
      assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo("echo:h");
    }
    assertThat(StringEchoService.say(lease, "after", WAIT)).isEqualTo("echo:after");
    assertThat(factory.built).hasSize(3);
  }

  @Test
  void oneConnectionIsTheDefaultWhateverTheLoad() throws Exception {
    LifelineChannel lease = pool.lease(target);
    echo.hold();
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 1; i <= 150; i++) {
      calls.add(ClientCalls.futureUnaryCall(lease.newCall(SAY, CallOptions.DEFAULT), "x"));
    }
    await().atMost(WAIT).until(() -> echo.heldCount() == 150);
    assertThat(factory.built).hasSize(1);
    echo.releaseHeld();
    for (Future<String> call : calls) {
      assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo("echo:x");
    }
  }

  @Test
  void aMemberInTransientFailureIsSkipped() throws Exception {
    pool.close();
    factory.shutdownAll();
    // The first connection goes to a name with no server, so it ends in TRANSIENT_FAILURE; later
    // ones reach the real server.
    AtomicInteger builds = new AtomicInteger();
    String nowhere = "nowhere-" + UUID.randomUUID();
    RecordingFactory base = RecordingFactory.inProcess();
    factory = base;
    pool =
        ChannelPool.builder()
            .builderFactory(
                t -> builds.getAndIncrement() == 0 ? base.newBuilder(nowhere) : base.newBuilder(t))
            // Fake time: Lifeline's reconnect resets must not wake the broken member mid-test.
            .scheduler(new FakeClock().scheduler())
            .build();
    LifelineChannel lease =
        pool.lease(
            target,
            ChannelOptions.builder()
                .maxConnectionsPerTarget(2)
                .maxConcurrentCallsPerConnection(100)
                .build());
    assertThatThrownBy(() -> StringEchoService.say(lease, "first", WAIT))
        .isInstanceOf(StatusRuntimeException.class);
    ManagedChannel broken = base.last();
    await().atMost(WAIT).until(() -> broken.getState(false) == ConnectivityState.TRANSIENT_FAILURE);

    for (int i = 0; i < 5; i++) {
      assertThat(StringEchoService.say(lease, "ok" + i, WAIT)).isEqualTo("echo:ok" + i);
    }
    assertThat(base.built).hasSize(2);
    assertThat(lease.isHealthy()).isTrue();
  }
}
