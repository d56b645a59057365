package dev.lifeline.grpc;

import static io.grpc.ConnectivityState.TRANSIENT_FAILURE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.StringEchoService;
import dev.lifeline.testing.TcpProxy;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Side by side: a plain grpc channel (grpc's own 1 s to 120 s backoff) and a Lifeline channel
 * (default options) both lose their server for a while. The outage lasts until the plain channel's
 * backoff has grown past 2 s; Lifeline is back within a fraction of that while the plain channel is
 * still waiting.
 */
class LongOutageRecoveryTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  private final StringEchoService echo = new StringEchoService();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private Server server;
  private TcpProxy plainProxy;
  private TcpProxy lifelineProxy;
  private ManagedChannel plain;
  private ChannelPool pool;

  @BeforeEach
  void setUp() throws Exception {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(echo.definition())
            .build()
            .start();
    plainProxy = TcpProxy.start(server.getPort());
    lifelineProxy = TcpProxy.start(server.getPort());
    plain = NettyChannelBuilder.forTarget(plainProxy.target()).usePlaintext().build();
    pool =
        ChannelPool.builder()
            .builderFactory(ChannelBuilderFactory.plaintext())
            .meterRegistry(registry)
            .build();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.close();
    plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    plainProxy.close();
    lifelineProxy.close();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static boolean succeeds(io.grpc.Channel channel) {
    try {
      return StringEchoService.say(channel, "back", Duration.ofSeconds(1)).equals("echo:back");
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  @Test
  void lifelineRecoversWithinASecondWhileAPlainChannelStaysDown() {
    LifelineChannel lifeline = pool.lease(lifelineProxy.target());
    assertThat(succeeds(plain)).isTrue();
    assertThat(succeeds(lifeline)).isTrue();

    plainProxy.refuse();
    lifelineProxy.refuse();
    // A call may first fail on the connection being cut, which leaves a channel IDLE; keep
    // calling until each channel has failed to reconnect.
    await()
        .atMost(WAIT)
        .until(() -> !succeeds(plain) && plain.getState(false) == TRANSIENT_FAILURE);
    await().atMost(WAIT).until(() -> !succeeds(lifeline) && lifeline.state() == TRANSIENT_FAILURE);
    int firstFailure = plainProxy.connectionAttempts();

    // grpc retries after about 1 s and 1.6 s more; after that third failure the next try is at
    // least 2 s away, while Lifeline keeps trying every 150 ms or less.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> plainProxy.connectionAttempts() >= firstFailure + 2);
    int plainAttempts = plainProxy.connectionAttempts();
    plainProxy.forward();
    lifelineProxy.forward();

    long start = System.nanoTime();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> succeeds(lifeline));
    long recoveredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThatThrownBy(() -> StringEchoService.say(plain, "still down", Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(plainProxy.connectionAttempts()).isEqualTo(plainAttempts);
    assertThat(recoveredMillis).isLessThan(1_000);
    assertThat(registry.find("lifeline.channel.backoff.resets").counter().count()).isPositive();
    assertThat(registry.find("lifeline.channel.creations").counter().count()).isEqualTo(1);
    System.out.println("lifeline recovered " + recoveredMillis + " ms after the server returned");
  }
}
