package dev.lifeline.examples.order;

import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.InMemoryLeaseStore;
import dev.lifeline.examples.order.proto.ProcessOrderResponse;
import dev.lifeline.grpc.ChannelBuilderFactory;
import dev.lifeline.grpc.ChannelPool;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a 3-instance order group and a client in one JVM: processes orders, stops the active
 * instance, and keeps processing on the new one. {@code main} prints what happens.
 */
public final class OrderGroupExample {

  private OrderGroupExample() {}

  /** Entry point. */
  public static void main(String[] args) throws Exception {
    InMemoryLeaseStore store = InMemoryLeaseStore.create();
    List<OrderInstance> instances = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      instances.add(OrderInstance.start("order-" + i, store, ActiveOptions.defaults()));
    }
    List<String> addresses = instances.stream().map(OrderInstance::address).toList();
    // The instances listen on loopback without TLS.
    try (ChannelPool pool =
            ChannelPool.builder().builderFactory(ChannelBuilderFactory.plaintext()).build();
        OrderClient client =
            new OrderClient(pool, addresses, Duration.ofSeconds(5), new SimpleMeterRegistry())) {
      for (int i = 0; i < 5; i++) {
        ProcessOrderResponse r = client.process("o-" + i, 100);
        System.out.println(r.getOrderId() + " processed by " + r.getProcessedBy());
      }
      OrderInstance active =
          instances.stream().filter(x -> x.member().isActive()).findFirst().orElseThrow();
      System.out.println("stopping " + active.member().id());
      active.close();
      for (int i = 5; i < 10; i++) {
        ProcessOrderResponse r = client.process("o-" + i, 100);
        System.out.println(r.getOrderId() + " processed by " + r.getProcessedBy());
      }
    } finally {
      for (OrderInstance x : instances) {
        x.close();
      }
    }
  }
}
