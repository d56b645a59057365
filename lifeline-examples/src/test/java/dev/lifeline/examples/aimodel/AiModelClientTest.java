package dev.lifeline.examples.aimodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lifeline.core.Backoff;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.Jitter;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.examples.aimodel.proto.AiModelGrpc;
import dev.lifeline.examples.aimodel.proto.ExtractRequest;
import dev.lifeline.examples.aimodel.proto.ExtractResponse;
import dev.lifeline.grpc.ChannelBuilderFactory;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineCallException;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AiModelClientTest {

  private static final Metadata.Key<String> APP_ID =
      Metadata.Key.of("dapr-app-id", Metadata.ASCII_STRING_MARSHALLER);

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final AtomicInteger attempts = new AtomicInteger();
  private final List<String> appIds = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final CountDownLatch gate = new CountDownLatch(1);
  private final AtomicInteger held = new AtomicInteger();
  private final List<Server> servers = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private ExecutorService callers;

  @AfterEach
  void tearDown() throws Exception {
    gate.countDown();
    // Newest first: clients release their leases before the pool closes.
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    for (Server s : servers) {
      s.shutdownNow();
      s.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (callers != null) {
      callers.shutdownNow();
      callers.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Counts attempts, records the app id header, and holds requests whose content is "hold". */
  private io.grpc.ServerServiceDefinition service() {
    AiModelService real = new AiModelService();
    BindableService model =
        new AiModelGrpc.AiModelImplBase() {
          @Override
          public void extract(ExtractRequest request, StreamObserver<ExtractResponse> response) {
            if (request.getContent().equals("hold") && gate.getCount() > 0) {
              held.incrementAndGet();
              try {
                gate.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              held.decrementAndGet();
            }
            real.extract(request, response);
          }
        };
    ServerInterceptor counting =
        new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
              ServerCall<ReqT, RespT> call, Metadata h, ServerCallHandler<ReqT, RespT> next) {
            attempts.incrementAndGet();
            appIds.add(String.valueOf(h.get(APP_ID)));
            return next.startCall(call, h);
          }
        };
    return ServerInterceptors.intercept(model, counting);
  }

  private AiModelClient inProcessClient(RetryPolicy policy) throws IOException {
    String name = InProcessServerBuilder.generateName();
    servers.add(
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(service())
            .build()
            .start());
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    closeables.add(channel::shutdownNow);
    AiModelClient client =
        AiModelClient.builder()
            .channel(channel)
            .appId("ai-model")
            .daprApiToken("tok-123456")
            .retryPolicy(policy)
            .circuitBreakers(CircuitBreakers.disabled())
            .meterRegistry(meters)
            .build();
    closeables.add(client);
    return client;
  }

  @Test
  void extractsThroughTheDaprAppIdHeader() throws IOException {
    AiModelClient client = inProcessClient(AiModelClient.ADR_005);
    assertThat(client.extract("two words", "text/plain"))
        .isEqualTo("{\"content_type\":\"text/plain\",\"characters\":9,\"words\":2}");
    assertThat(appIds).containsExactly("ai-model");
  }

  @Test
  void callerErrorIsNotRetriedAndTheErrorNamesAppIdMethodAndAttempts() throws IOException {
    // Farmer Power bug: AiModelClient retried every code, NOT_FOUND and INVALID_ARGUMENT included.
    AiModelClient client = inProcessClient(AiModelClient.ADR_005);
    assertThatThrownBy(() -> client.extract("", "text/plain"))
        .isInstanceOfSatisfying(
            LifelineCallException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.report().stopReason()).isEqualTo(StopReason.NON_RETRYABLE);
              assertThat(e.getMessage())
                  .startsWith(
                      "INVALID_ARGUMENT: ai-model lifeline.examples.aimodel.AiModel/Extract failed"
                          + " after 1 attempt in ")
                  .doesNotContain("tok-123456");
            });
    assertThat(attempts).hasValue(1);
  }

  @Test
  void unsuccessfulExtractionIsAnAnswerNotAFailure() throws IOException {
    AiModelClient client = inProcessClient(AiModelClient.ADR_005);
    assertThatThrownBy(() -> client.extract("x", "image/png"))
        .isInstanceOf(ExtractionException.class)
        .hasMessage("AI model extraction failed: unsupported content type 'image/png'");
    assertThat(attempts).hasValue(1);
  }

  private Server startNetty(int port) throws IOException {
    IOException last = null;
    // The old listening socket may take a moment to be released; bounded.
    for (int i = 0; i < 50; i++) {
      try {
        Server s =
            NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .addService(service())
                .build()
                .start();
        servers.add(s);
        return s;
      } catch (IOException e) {
        last = e;
        await().pollDelay(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> true);
      }
    }
    throw last;
  }

  @Test
  void survivesAServerRestartWithCallsInFlightWithoutRestartingTheClient() throws Exception {
    restartWithCallsInFlight(builder -> builder);
  }

  @Test
  void survivesAServerRestartOnAPooledChannel() throws Exception {
    ChannelPool pool =
        ChannelPool.builder()
            .builderFactory(ChannelBuilderFactory.plaintext())
            .meterRegistry(meters)
            .build();
    closeables.add(pool);
    restartWithCallsInFlight(builder -> builder.channelPool(pool));
  }

  private void restartWithCallsInFlight(UnaryOperator<AiModelClient.Builder> channel)
      throws Exception {
    Server first = startNetty(0);
    int port = first.getPort();
    RetryPolicy policy =
        RetryPolicy.builder()
            .maxAttempts(10)
            .backoff(
                Backoff.exponential(Duration.ofMillis(200), Duration.ofSeconds(2))
                    .withJitter(Jitter.proportional(0.2)))
            .build();
    AiModelClient client =
        channel
            .apply(AiModelClient.builder())
            .target("127.0.0.1:" + port)
            .appId("ai-model")
            .retryPolicy(policy)
            .timeout(Duration.ofSeconds(30))
            .circuitBreakers(CircuitBreakers.disabled())
            .meterRegistry(meters)
            .build();
    closeables.add(client);
    assertThat(client.extract("warm up", "text/plain")).contains("\"words\":2");

    callers = Executors.newFixedThreadPool(16);
    List<CompletableFuture<String>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(CompletableFuture.supplyAsync(() -> client.extract("hold", "text/plain"), callers));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> held.get() == 8);

    first.shutdownNow();
    first.awaitTermination(5, TimeUnit.SECONDS);
    for (int i = 0; i < 8; i++) {
      calls.add(
          CompletableFuture.supplyAsync(
              () -> client.extract("during outage", "text/plain"), callers));
    }
    // Every call has failed at least once and is waiting to retry.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                meters.find("lifeline.retries").tag("reason", "unavailable").counter() != null
                    && meters
                            .find("lifeline.retries")
                            .tag("reason", "unavailable")
                            .counter()
                            .count()
                        >= 16);
    gate.countDown();
    startNetty(port);

    for (CompletableFuture<String> c : calls) {
      assertThat(c.get(30, TimeUnit.SECONDS)).startsWith("{\"content_type\":\"text/plain\"");
    }
    double succeeded = meters.get("lifeline.calls").tag("outcome", "success").counter().count();
    double attemptsMade = meters.get("lifeline.call.attempts").summary().totalAmount();
    assertThat(succeeded).isEqualTo(17);
    assertThat(attemptsMade).isGreaterThanOrEqualTo(17 + 16);
    // The 8 held calls reached the first server, then each call reached the second one.
    assertThat(attempts.get()).isGreaterThanOrEqualTo(1 + 8 + 16);
  }
}
