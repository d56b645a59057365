package dev.lifeline.examples.item;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemDetail;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelPool;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ItemMasterRepositoryTest {

  private static final ItemDetail COFFEE =
      ItemDetail.newBuilder()
          .setItemCode("49-01")
          .setDescription("Coffee")
          .setUnitPriceCents(350)
          .setCategoryCode("drinks")
          .build();

  private final String target = "master-data-" + UUID.randomUUID();
  private final InMemoryItemService service =
      new InMemoryItemService().put("t1", "s1", COFFEE).put("t2", "s9", COFFEE);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private Server server;
  private ChannelPool pool;

  @BeforeEach
  void setUp() throws IOException {
    server = InProcessServerBuilder.forName(target).addService(service).build().start();
    pool =
        ChannelPool.builder()
            .builderFactory(InProcessChannelBuilder::forName)
            .meterRegistry(registry)
            .build();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    pool.close();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private double channelsCreated() {
    var c = registry.find("lifeline.channel.creations").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void repositoriesCreatedPerRequestReuseOneChannel() {
    // kugelpos: instance-level pooling passed its unit tests but opened 86 channels for 58
    // requests, because the framework built a repository per request.
    try (ItemMasterRepositories repositories = new ItemMasterRepositories(pool, target)) {
      assertThat(channelsCreated()).isZero();
      for (int request = 0; request < 500; request++) {
        String tenant = request % 2 == 0 ? "t1" : "t2";
        String store = request % 2 == 0 ? "s1" : "s9";
        ItemMasterRepository repository = repositories.forRequest(tenant, store);
        assertThat(repository.getItemByCode("49-01").getDescription()).isEqualTo("Coffee");
      }
      assertThat(repositories.isHealthy()).isTrue();
    }
    assertThat(channelsCreated()).isEqualTo(1);
    assertThat(service.requests()).isEqualTo(500);
  }

  @Test
  void closingOneComponentsProviderDoesNotCloseTheChannelAnotherStillUses() {
    // kugelpos: closing "tenant1"'s channels closed the one channel every tenant shared.
    ItemMasterRepositories cart = new ItemMasterRepositories(pool, target);
    ItemMasterRepositories stock = new ItemMasterRepositories(pool, target);
    cart.forRequest("t1", "s1").getItemByCode("49-01");
    cart.close();
    cart.close();
    assertThat(stock.forRequest("t2", "s9").getItemByCode("49-01").getItemCode())
        .isEqualTo("49-01");
    stock.close();
    assertThat(channelsCreated()).isEqualTo(1);
    assertThat(pool.size()).as("the channel lingers for the next component").isEqualTo(1);
  }

  @Test
  void anUnknownItemRaisesItemNotFound() {
    try (ItemMasterRepositories repositories = new ItemMasterRepositories(pool, target)) {
      ItemMasterRepository repository = repositories.forRequest("t1", "s1");
      assertThatThrownBy(() -> repository.getItemByCode("nope"))
          .isInstanceOf(ItemNotFoundException.class)
          .hasMessage("item not found: nope");
    }
  }

  @Test
  void anEmptyItemInTheAnswerRaisesItemNotFoundNotRepositoryException() throws Exception {
    // kugelpos bug: NotFoundException raised inside the try was re-wrapped as RepositoryException.
    String emptyTarget = "empty-" + UUID.randomUUID();
    Server empty =
        InProcessServerBuilder.forName(emptyTarget)
            .addService(
                new ItemServiceGrpc.ItemServiceImplBase() {
                  @Override
                  public void getItemDetail(
                      GetItemDetailRequest request, StreamObserver<ItemDetail> response) {
                    response.onNext(ItemDetail.getDefaultInstance());
                    response.onCompleted();
                  }
                })
            .build()
            .start();
    try (ItemMasterRepositories repositories = new ItemMasterRepositories(pool, emptyTarget)) {
      ItemMasterRepository repository = repositories.forRequest("t1", "s1");
      assertThatThrownBy(() -> repository.getItemByCode("49-01"))
          .isInstanceOf(ItemNotFoundException.class);
    } finally {
      empty.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void otherFailuresRaiseRepositoryExceptionWithCodeAndItem() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    try (ItemMasterRepositories repositories = new ItemMasterRepositories(pool, target)) {
      ItemMasterRepository repository = repositories.forRequest("t1", "s1");
      assertThatThrownBy(() -> repository.getItemByCode("49-01"))
          .isInstanceOfSatisfying(
              RepositoryException.class,
              e -> {
                assertThat(e.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(e.getMessage())
                    .startsWith("gRPC error for item 49-01: UNAVAILABLE")
                    .contains(target);
              });
      assertThatThrownBy(() -> repository.getItemByCode(""))
          .isInstanceOf(RepositoryException.class);
    }
  }

  @Test
  void anInvalidTargetFailsWhenTheRepositoryIsBuilt() {
    assertThatThrownBy(() -> new ItemMasterRepositories(pool, "master data:50051"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("master data:50051");
    assertThat(pool.size()).isZero();
  }
}
