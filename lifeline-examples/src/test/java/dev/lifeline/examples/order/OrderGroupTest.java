package dev.lifeline.examples.order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.InMemoryLeaseStore;
import dev.lifeline.examples.order.proto.OrderStats;
import dev.lifeline.examples.order.proto.ProcessOrderResponse;
import dev.lifeline.grpc.ChannelBuilderFactory;
import dev.lifeline.grpc.ChannelPool;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OrderGroupTest {

  private final ChannelPool pool =
      ChannelPool.builder().builderFactory(ChannelBuilderFactory.plaintext()).build();

  private final List<OrderInstance> instances = new ArrayList<>();
  private OrderClient client;

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    pool.close();
    for (OrderInstance i : instances) {
      i.close();
    }
  }

  @Test
  void threeInstanceGroupProcessesOrdersOnTheActiveAndSurvivesItsShutdown() throws Exception {
    InMemoryLeaseStore store = InMemoryLeaseStore.create();
    for (int i = 1; i <= 3; i++) {
      instances.add(OrderInstance.start("order-" + i, store, ActiveOptions.defaults()));
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> instances.stream().anyMatch(x -> x.member().isActive()));
    client =
        new OrderClient(
            pool,
            instances.stream().map(OrderInstance::address).toList(),
            Duration.ofSeconds(5),
            new SimpleMeterRegistry());

    OrderInstance active =
        instances.stream().filter(x -> x.member().isActive()).findFirst().orElseThrow();
    ProcessOrderResponse first = client.process("o-1", 1250);
    assertThat(first.getProcessedBy()).isEqualTo(active.member().id());
    assertThat(first.getFencingToken()).isEqualTo(active.member().fencingToken().orElseThrow());

    // Shared method: answered by the instance the client prefers, whatever its role.
    OrderStats stats = client.stats();
    assertThat(stats.getInstanceId()).isEqualTo(active.member().id());
    assertThat(stats.getProcessed()).isEqualTo(1);

    active.close();
    instances.remove(active);
    ProcessOrderResponse next = client.process("o-2", 990);
    assertThat(next.getProcessedBy()).isNotEqualTo(active.member().id());
    assertThat(next.getFencingToken()).isGreaterThan(first.getFencingToken());
    for (int i = 3; i < 20; i++) {
      assertThat(client.process("o-" + i, 1).getProcessedBy()).isEqualTo(next.getProcessedBy());
    }
  }
}
