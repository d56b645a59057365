package dev.lifeline.grpc;

import static dev.lifeline.testing.StringEchoService.SAY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.lifeline.testing.StringEchoService;
import io.grpc.CallOptions;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Review finding 14, against real servers: a grpc-java server enforces its keepalive policy with
 * GOAWAY {@code too_many_pings}, killing the connection's calls. It runs for about 35 s, the least
 * a grpc-java client (which never pings more often than every 10 s) needs to draw three strikes.
 */
class KeepAliveTest {

  private static final ChannelOptions EVERY_TEN_SECONDS =
      ChannelOptions.builder()
          .keepAliveTime(Duration.ofSeconds(10))
          .keepAliveTimeout(Duration.ofSeconds(5))
          .keepAliveWithoutCalls(true)
          .build();

  @Test
  void theDefaultsKeepTheirCallsOnADefaultServerWhileTooFrequentPingsAreCutOff() throws Exception {
    StringEchoService strict = new StringEchoService();
    StringEchoService permissive = new StringEchoService();
    Server byDefault = start(NettyServerBuilder.forAddress(loopback()), strict);
    // The server side of a frequent profile, as ChannelOptions.Builder#frequentKeepAlive says.
    Server documented =
        start(
            NettyServerBuilder.forAddress(loopback())
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true),
            permissive);
    try (ChannelPool pool =
        ChannelPool.builder().builderFactory(ChannelBuilderFactory.plaintext()).build()) {
      String strictTarget = "127.0.0.1:" + byDefault.getPort();
      LifelineChannel defaults = pool.lease(strictTarget);
      LifelineChannel eager = pool.lease(strictTarget, EVERY_TEN_SECONDS);
      LifelineChannel allowed = pool.lease("127.0.0.1:" + documented.getPort(), EVERY_TEN_SECONDS);
      strict.hold();
      permissive.hold();
      ListenableFuture<String> onDefaults = longCall(defaults);
      ListenableFuture<String> onEager = longCall(eager);
      ListenableFuture<String> onAllowed = longCall(allowed);

      await().atMost(Duration.ofSeconds(60)).until(onEager::isDone);
      Throwable cut = catchCause(onEager);
      // grpc-java reports the GOAWAY ENHANCE_YOUR_CALM "too_many_pings" as RESOURCE_EXHAUSTED.
      assertThat(Status.fromThrowable(cut).getCode())
          .isIn(Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNAVAILABLE);
      assertThat(onDefaults).as("the defaults drew no strike").isNotDone();
      assertThat(onAllowed).as("the server permits these pings").isNotDone();

      strict.releaseHeld();
      permissive.releaseHeld();
      assertThat(onDefaults.get(5, TimeUnit.SECONDS)).isEqualTo("echo:long");
      assertThat(onAllowed.get(5, TimeUnit.SECONDS)).isEqualTo("echo:long");
    } finally {
      byDefault.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      documented.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  private static Server start(NettyServerBuilder builder, StringEchoService service)
      throws Exception {
    return builder.addService(service.definition()).build().start();
  }

  private static ListenableFuture<String> longCall(LifelineChannel channel) {
    return ClientCalls.futureUnaryCall(
        channel.newCall(SAY, CallOptions.DEFAULT.withDeadlineAfter(90, TimeUnit.SECONDS)), "long");
  }

  private static Throwable catchCause(ListenableFuture<String> f) throws InterruptedException {
    try {
      f.get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
