package dev.lifeline.grpc;

import static dev.lifeline.testing.StringEchoService.SAY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.StringEchoService;
import io.grpc.CallOptions;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real Netty server on 127.0.0.1, stopped and restarted on the same port with calls in flight.
 */
class NettyRestartTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  private final StringEchoService echo = new StringEchoService();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RecordingFactory factory = RecordingFactory.plaintext();
  private final ChannelPool pool =
      ChannelPool.builder().builderFactory(factory).meterRegistry(registry).build();
  private final List<Server> servers = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.close();
    factory.shutdownAll();
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private Server startServer(int port) throws IOException {
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
            .withOption(ChannelOption.SO_REUSEADDR, true)
            .addService(echo.definition())
            .build()
            .start();
    servers.add(s);
    return s;
  }

  private List<Future<String>> holdCalls(LifelineChannel lease, int n) {
    echo.hold();
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(ClientCalls.futureUnaryCall(lease.newCall(SAY, CallOptions.DEFAULT), "f" + i));
    }
    await().atMost(WAIT).until(() -> echo.heldCount() == n);
    return calls;
  }

  private long millisUntilACallSucceeds(LifelineChannel lease) {
    long start = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(10))
        .ignoreExceptions()
        .until(
            () -> StringEchoService.say(lease, "back", Duration.ofSeconds(1)).equals("echo:back"));
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  @Test
  void inFlightCallsFinishOnAGracefulStopAndTheRestartedServerIsReachedWithoutARebuild()
      throws Exception {
    Server server = startServer(0);
    int port = server.getPort();
    String target = "127.0.0.1:" + port;
    LifelineChannel lease = pool.lease(target);
    assertThat(StringEchoService.say(lease, "warm", WAIT)).isEqualTo("echo:warm");

    List<Future<String>> inFlight = holdCalls(lease, 5);
    server.shutdown();
    echo.releaseHeld();
    for (int i = 0; i < inFlight.size(); i++) {
      assertThat(inFlight.get(i).get(5, TimeUnit.SECONDS)).isEqualTo("echo:f" + i);
    }
    assertThat(server.awaitTermination(5, TimeUnit.SECONDS)).isTrue();

    assertThatThrownBy(() -> StringEchoService.say(lease, "down", WAIT))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).contains("target=" + target);
            });

    startServer(port);
    long recoveredMillis = millisUntilACallSucceeds(lease);
    assertThat(recoveredMillis).isLessThan(2_000);
    assertThat(factory.built).hasSize(1);
    assertThat(registry.find("lifeline.channel.rebuilds").counters())
        .allSatisfy(c -> assertThat(c.count()).isZero());
  }

  @Test
  void inFlightCallsFailOnAHardStopAndTheRestartedServerIsReachedWithoutARebuild()
      throws Exception {
    Server server = startServer(0);
    int port = server.getPort();
    String target = "127.0.0.1:" + port;
    LifelineChannel lease = pool.lease(target);
    StringEchoService.say(lease, "warm", WAIT);

    List<Future<String>> inFlight = holdCalls(lease, 5);
    server.shutdownNow();
    for (Future<String> call : inFlight) {
      assertThatThrownBy(() -> call.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                // grpc reports a stream the server reset as CANCELLED, a lost connection as
                // UNAVAILABLE; Lifeline names the target in the latter.
                assertThat(e.getStatus().getCode())
                    .isIn(Status.Code.UNAVAILABLE, Status.Code.CANCELLED);
                if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                  assertThat(e.getStatus().getDescription())
                      .contains("target=" + target)
                      .contains("service=" + StringEchoService.SERVICE);
                }
              });
    }
    assertThat(server.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    echo.respond();

    startServer(port);
    assertThat(millisUntilACallSucceeds(lease)).isLessThan(2_000);
    assertThat(factory.built).hasSize(1);
  }

  @Test
  void anUnresolvableHostFailsTheFirstCallWithinItsDeadlineNamingTargetAndService() {
    String target = "no-such-host.invalid:50051";
    LifelineChannel lease = pool.lease(target);
    long start = System.nanoTime();
    assertThatThrownBy(() -> StringEchoService.say(lease, "x", Duration.ofSeconds(3)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode())
                  .isIn(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);
              assertThat(e.getStatus().getDescription())
                  .contains("target=" + target)
                  .contains("service=" + StringEchoService.SERVICE);
            });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
  }
}
