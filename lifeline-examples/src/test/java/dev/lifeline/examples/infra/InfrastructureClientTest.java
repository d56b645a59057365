package dev.lifeline.examples.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.lifeline.examples.item.InMemoryItemService;
import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemDetail;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelPool;
import io.grpc.ForwardingChannelBuilder2;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InfrastructureClientTest {

  private static final ItemDetail ITEM = ItemDetail.newBuilder().setItemCode("k1").build();
  private static final GetItemDetailRequest REQUEST =
      GetItemDetailRequest.newBuilder()
          .setTenantId("t")
          .setStoreCode("s")
          .setItemCode("k1")
          .build();

  private final String address = "postgres-gateway-" + UUID.randomUUID();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<ManagedChannel> built = new CopyOnWriteArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private Server server;
  private ChannelPool pool;

  @BeforeEach
  void setUp() throws IOException {
    InMemoryItemService items = new InMemoryItemService().put("t", "s", ITEM);
    server =
        InProcessServerBuilder.forName(address)
            .addService(
                new ItemServiceGrpc.ItemServiceImplBase() {
                  @Override
                  public void getItemDetail(
                      GetItemDetailRequest request, StreamObserver<ItemDetail> response) {
                    if (request.getItemCode().equals("slow")) {
                      try {
                        release.await(5, TimeUnit.SECONDS);
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                    }
                    items.getItemDetail(request.toBuilder().setItemCode("k1").build(), response);
                  }
                })
            .build()
            .start();
    pool =
        ChannelPool.builder()
            .builderFactory(target -> new Recording(InProcessChannelBuilder.forName(target)))
            .meterRegistry(registry)
            .build();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    release.countDown();
    pool.close();
    built.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private InfrastructureClient<ItemServiceGrpc.ItemServiceBlockingStub> blockingClient() {
    return InfrastructureClient.create(pool, address, ItemServiceGrpc::newBlockingStub);
  }

  private double rebuilds(String reason) {
    var c = registry.find("lifeline.channel.rebuilds").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void isHealthyWorksBeforeFirstUseAndNeverConnects() {
    var client = blockingClient();
    assertThat(client.isHealthy()).isTrue();
    assertThat(built).isEmpty();
    assertThat(client.stub().getItemDetail(REQUEST).getItemCode()).isEqualTo("k1");
    assertThat(client.isHealthy()).isTrue();
    assertThat(built).hasSize(1);
  }

  @Test
  void aChannelClosedUnderneathRecoversForEveryClientWithOneRebuild() {
    // isa_common bug: the fast path checked a `_connected` flag, so a closed channel failed every
    // call with "Channel is closed" until someone called reconnect().
    var first = blockingClient();
    var second = blockingClient();
    first.stub().getItemDetail(REQUEST);
    built.get(0).shutdownNow();
    assertThat(first.isHealthy()).isFalse();

    assertThat(first.stub().getItemDetail(REQUEST).getItemCode()).isEqualTo("k1");
    assertThat(second.stub().getItemDetail(REQUEST).getItemCode()).isEqualTo("k1");
    assertThat(built).hasSize(2);
    assertThat(rebuilds("shutdown")).isEqualTo(1);
  }

  @Test
  void reconnectNeverBreaksAnotherClientsCallAndNeverLeaksTheOldChannel() throws Exception {
    // isa_common bug: reconnect() force-closed the shared channel under every other client.
    var first = blockingClient();
    var other = InfrastructureClient.create(pool, address, ItemServiceGrpc::newFutureStub);
    first.stub().getItemDetail(REQUEST);
    ManagedChannel old = built.get(0);
    ListenableFuture<ItemDetail> inFlight =
        other.stub().getItemDetail(REQUEST.toBuilder().setItemCode("slow").build());

    first.reconnect();
    assertThat(old.isShutdown()).isTrue();
    release.countDown();
    assertThat(inFlight.get(5, TimeUnit.SECONDS).getItemCode()).isEqualTo("k1");
    assertThat(old.awaitTermination(5, TimeUnit.SECONDS)).isTrue();

    assertThat(other.stub().getItemDetail(REQUEST).get(5, TimeUnit.SECONDS).getItemCode())
        .isEqualTo("k1");
    assertThat(first.stub().getItemDetail(REQUEST).getItemCode()).isEqualTo("k1");
    assertThat(built).hasSize(2);
    assertThat(rebuilds("manual")).isEqualTo(1);
  }

  @Test
  void closeReleasesOnlyThisClientAndIsIdempotent() {
    var first = blockingClient();
    var second = blockingClient();
    first.stub().getItemDetail(REQUEST);
    first.close();
    first.close();
    assertThat(first.isHealthy()).isFalse();
    assertThatThrownBy(first::stub)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(address);
    assertThatThrownBy(first::reconnect).isInstanceOf(IllegalStateException.class);
    assertThat(second.stub().getItemDetail(REQUEST).getItemCode()).isEqualTo("k1");
    assertThat(built.get(0).isShutdown()).isFalse();

    second.close();
    assertThat(built.get(0).isShutdown()).as("lingering for the next lease").isFalse();
    pool.close();
    assertThat(built.get(0).isShutdown()).isTrue();
    await().atMost(java.time.Duration.ofSeconds(5)).until(() -> built.get(0).isTerminated());
  }

  @Test
  void aBadAddressFailsWhenTheClientIsBuiltNamingIt() {
    assertThatThrownBy(
            () -> InfrastructureClient.create(pool, "redis:port", ItemServiceGrpc::newBlockingStub))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'redis:port'");
  }

  private final class Recording extends ForwardingChannelBuilder2<Recording> {
    private final ManagedChannelBuilder<?> delegate;

    Recording(ManagedChannelBuilder<?> delegate) {
      this.delegate = delegate;
    }

    @Override
    protected ManagedChannelBuilder<?> delegate() {
      return delegate;
    }

    @Override
    public ManagedChannel build() {
      ManagedChannel c = delegate.build();
      built.add(c);
      return c;
    }
  }
}
