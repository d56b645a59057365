package dev.lifeline.grpc;

import static dev.lifeline.testing.StringEchoService.SAY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.FakeClock;
import dev.lifeline.testing.StringEchoService;
import dev.lifeline.testing.TcpProxy;
import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The channel manager never hurts a healthy connection, and never hammers a dead one. */
class ChannelCareTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<Server> servers = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  private Server netty(ServerServiceDefinition service) throws IOException {
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(service)
            .build()
            .start();
    servers.add(s);
    return s;
  }

  private double sum(String meter) {
    return registry.find(meter).counters().stream().mapToDouble(Counter::count).sum();
  }

  private ChannelPool.Builder plaintextPool() {
    return ChannelPool.builder()
        .builderFactory(ChannelBuilderFactory.plaintext())
        .meterRegistry(registry);
  }

  // Review finding 3: sixty UNAVAILABLE answers from a healthy server ("database down") made five
  // rebuilds, each force-cancelling the calls in flight on the old connection.
  @Test
  void aHealthyServerAnsweringUnavailableAThousandTimesKeepsItsOneConnection() throws Exception {
    Server server =
        netty(
            ServerServiceDefinition.builder(StringEchoService.SERVICE)
                .addMethod(
                    SAY,
                    ServerCalls.asyncUnaryCall(
                        (req, obs) ->
                            obs.onError(
                                Status.UNAVAILABLE
                                    .withDescription("database down")
                                    .asRuntimeException())))
                .build());
    ChannelPool pool = closeLater(plaintextPool().build());
    LifelineChannel lease = closeLater(pool.lease("127.0.0.1:" + server.getPort()));
    for (int i = 0; i < 1000; i++) {
      Throwable t =
          catchThrowable(
              () ->
                  ClientCalls.blockingUnaryCall(
                      lease, SAY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "x"));
      assertThat(Status.fromThrowable(t).getDescription()).startsWith("database down");
    }
    assertThat(sum("lifeline.channel.rebuilds")).isZero();
    assertThat(sum("lifeline.channel.creations")).isEqualTo(1);
  }

  // isa_common PRD E2-US1/E3-US1: an unhealthy channel is reconnected before the operation. Before,
  // a call made while the channel was still in TRANSIENT_FAILURE failed fast with "io exception"
  // although the server was already back.
  @Test
  void aCallMadeWhileTheChannelIsStillInTransientFailureWaitsForTheServerThatCameBack()
      throws Exception {
    StringEchoService echo = new StringEchoService();
    Server server = netty(echo.definition());
    TcpProxy proxy = closeLater(TcpProxy.start(server.getPort()));
    proxy.refuse();
    FakeClock idle = new FakeClock(); // Lifeline's own reconnect timer never fires here
    ChannelPool pool = closeLater(plaintextPool().scheduler(idle.scheduler()).ticker(idle).build());
    LifelineChannel lease = closeLater(pool.lease(proxy.target()));
    catchThrowable(() -> StringEchoService.say(lease, "warm up", Duration.ofSeconds(1)));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> lease.state() == ConnectivityState.TRANSIENT_FAILURE);

    proxy.forward(); // the server is back; the channel still waits out grpc's backoff (1 s+)
    assertThat(lease.state()).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);
    assertThat(StringEchoService.say(lease, "hello", Duration.ofSeconds(2)))
        .isEqualTo("echo:hello");
  }

  // Review finding 11: the reset loop kept a fixed ~150 ms cadence for five minutes after the last
  // call, so a dead host saw ~6.7 connection attempts a second from every idle client.
  @Test
  void nobodyCallingADeadTargetMeansNoReconnectAttemptsBeyondGrpcsOwnBackoff() throws Exception {
    TcpProxy proxy = closeLater(TcpProxy.start(1));
    proxy.refuse();
    ChannelPool pool = closeLater(plaintextPool().build());
    LifelineChannel lease = closeLater(pool.lease(proxy.target()));
    for (int i = 0; i < 20; i++) {
      catchThrowable(() -> StringEchoService.say(lease, "x", Duration.ofMillis(50)));
    }
    int before = proxy.connectionAttempts();
    // grpc alone would try again after 1 s, then 1.6 s: at most 3 attempts in 3 s.
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(4))
        .until(() -> proxy.connectionAttempts() - before <= 3);
  }

  // Review finding 10: each call to a member in TRANSIENT_FAILURE reset its backoff and added a
  // state listener, so a whole group down at 1000 calls/s made a connection attempt per call.
  @Test
  void aThousandCallsASecondToAGroupThatIsDownStayWithinTheReconnectCap() throws Exception {
    TcpProxy a = closeLater(TcpProxy.start(1));
    TcpProxy b = closeLater(TcpProxy.start(1));
    a.refuse();
    b.refuse();
    StickyGroupChannel group =
        closeLater(
            StickyGroupChannel.builder("down")
                .channelPool(closeLater(plaintextPool().build()))
                .member(a.target())
                .member(b.target())
                .build());
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    List<com.google.common.util.concurrent.ListenableFuture<String>> calls = new ArrayList<>();
    while (System.nanoTime() < end) {
      for (int i = 0; i < 10; i++) {
        calls.add(
            ClientCalls.futureUnaryCall(
                group.newCall(
                    SAY, CallOptions.DEFAULT.withDeadlineAfter(50, TimeUnit.MILLISECONDS)),
                "x"));
      }
      await().pollDelay(Duration.ofMillis(10)).until(() -> true);
    }
    for (var c : calls) {
      catchThrowable(() -> c.get(5, TimeUnit.SECONDS));
    }
    assertThat(calls.size()).isGreaterThan(1000);
    // The cap: one attempt per target every reconnectBackoffInitial (50 ms) at the most.
    assertThat(a.connectionAttempts()).isLessThanOrEqualTo(3000 / 50 + 5);
    assertThat(b.connectionAttempts()).isLessThanOrEqualTo(3000 / 50 + 5);
  }

  // The kugelpos pattern: a repository object per request that leases and releases the channel.
  // Without linger, 50 requests built 50 channels.
  @Test
  void leasingCallingAndReleasingTenThousandTimesBuildsOneChannel() throws Exception {
    String name = "linger-" + UUID.randomUUID();
    StringEchoService echo = new StringEchoService();
    servers.add(
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(echo.definition())
            .build()
            .start());
    RecordingFactory factory = RecordingFactory.inProcess();
    ChannelPool pool = closeLater(ChannelPool.builder().builderFactory(factory).build());
    for (int i = 0; i < 10_000; i++) {
      try (LifelineChannel lease = pool.lease(name)) {
        assertThat(StringEchoService.say(lease, "x", Duration.ofSeconds(5))).isEqualTo("echo:x");
      }
    }
    assertThat(factory.built).hasSize(1);
    factory.shutdownAll();
  }

  // Review finding 15: channel meters were never removed, and pool.close() dropped the forced
  // shutdown of a channel released earlier, which then never terminated.
  @Test
  void aReleasedTargetsMetersGoAwayAndPoolCloseEndsItsDrainingChannel() throws Exception {
    String name = "drain-" + UUID.randomUUID();
    StringEchoService echo = new StringEchoService();
    servers.add(InProcessServerBuilder.forName(name).addService(echo.definition()).build().start());
    RecordingFactory factory = RecordingFactory.inProcess();
    FakeClock time = new FakeClock();
    ChannelPool pool =
        ChannelPool.builder()
            .builderFactory(factory)
            .scheduler(time.scheduler())
            .ticker(time)
            .meterRegistry(registry)
            .build();
    LifelineChannel lease = pool.lease(name, ChannelOptions.defaults());
    echo.hold();
    var held =
        ClientCalls.futureUnaryCall(
            lease.newCall(SAY, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES)), "x");
    await().atMost(Duration.ofSeconds(5)).until(() -> echo.heldCount() == 1);
    assertThat(registry.find("lifeline.channel.creations").counters()).isNotEmpty();
    lease.close();
    pool.close(); // must not wait for, nor leave behind, the channel still draining
    assertThat(factory.built).allSatisfy(c -> assertThat(c.isShutdown()).isTrue());
    await().atMost(Duration.ofSeconds(5)).until(() -> factory.built.get(0).isTerminated());
    assertThat(catchThrowable(() -> held.get(5, TimeUnit.SECONDS))).isNotNull();
    assertThat(registry.getMeters())
        .as("no meter of the closed target is left")
        .noneMatch(m -> name.equals(m.getId().getTag("target")));
  }

  // Secure by default, as grpc-java's own builders are.
  @Test
  void aPoolSpeaksTlsUnlessPlaintextIsAskedForByName() throws Exception {
    StringEchoService echo = new StringEchoService();
    Server server = netty(echo.definition()); // plaintext only
    ChannelPool pool = closeLater(ChannelPool.builder().meterRegistry(registry).build());
    LifelineChannel lease = closeLater(pool.lease("127.0.0.1:" + server.getPort()));
    Throwable t = catchThrowable(() -> StringEchoService.say(lease, "x", Duration.ofSeconds(2)));
    assertThat(t).isInstanceOf(StatusRuntimeException.class);
    assertThat(echo.calls()).isZero();
  }
}
