package dev.lifeline.demo.internal;

import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.Jitter;
import dev.lifeline.core.RetryBudget;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.examples.aimodel.proto.AiModelGrpc;
import dev.lifeline.examples.aimodel.proto.ExtractRequest;
import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.examples.order.proto.OrderServiceGrpc;
import dev.lifeline.examples.order.proto.ProcessOrderRequest;
import dev.lifeline.examples.order.proto.ProcessOrderResponse;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineCalls;
import dev.lifeline.grpc.LifelineChannel;
import dev.lifeline.grpc.StickyGroupChannel;
import dev.lifeline.http.HttpClientConfig;
import dev.lifeline.http.HttpRequest;
import dev.lifeline.http.LifelineHttpClient;
import dev.lifeline.http.LifelineHttpException;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The demo's set-up: starts the example services in this JVM on loopback (the item service, the AI
 * model behind a Dapr app id, Storage over HTTP and a three-member OrderService group), builds the
 * Lifeline clients for them, and the workload's calls. Everything it starts is added to the
 * caller's closeables, in start order. Not thread-safe; called once per run.
 */
final class DemoSetup {

  private DemoSetup() {}

  /**
   * What the run works with.
   *
   * @param services the workload's names, in the order of {@code calls}
   * @param serviceRows workload name, Lifeline service, server, address; one row per server
   * @param lastOrder the last order served, for the failover faults
   */
  record World(
      ItemBackend item,
      StorageBackend storage,
      OrderGroup orders,
      CircuitBreakers breakers,
      CircuitBreakers storageBreakers,
      List<String> services,
      Timeline timeline,
      List<Demo.DemoCall> calls,
      List<String[]> serviceRows,
      AtomicReference<Demo.Served> lastOrder) {}

  /** Starts the services and their clients; prints the services table. */
  static World start(
      Cli cli,
      ChannelPool pool,
      MeterRegistry registry,
      Random random,
      List<AutoCloseable> closeables,
      PrintStream out)
      throws Exception {
    // The services, each in this JVM on 127.0.0.1.
    ItemBackend item = new ItemBackend(0).start();
    closeables.add(item);
    AiBackend ai = new AiBackend();
    closeables.add(ai);
    StorageBackend storage = new StorageBackend();
    closeables.add(storage);
    LeaseStore store = FailoverScenario.store(cli.nats().orElse(null));
    closeables.add(store);
    OrderGroup orders = new OrderGroup(3, store, ActiveOptions.defaults(), registry).start();
    closeables.add(orders);
    FailoverScenario.awaitActive(orders);

    // The clients, all through Lifeline. Retries cover a short restart: up to 10 attempts, 100 ms
    // doubling to 1 s with full jitter, always bounded by the 5 s call deadline.
    RetryPolicy retry =
        RetryPolicy.builder()
            .maxAttempts(10)
            .backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, Jitter.full())
            .build();
    // The gRPC breakers judge 100 calls, so a 1.5 s restart ridden out by retries does not open
    // them; they still open if a dependency fails for good.
    CircuitBreakers breakers =
        CircuitBreakers.builder()
            .slidingWindowSize(100)
            .minimumNumberOfCalls(50)
            .waitDurationInOpenState(Duration.ofSeconds(3))
            .meterRegistry(registry)
            .build();
    // Storage gets its own breakers so that its state is not mixed with the gRPC targets'.
    CircuitBreakers storageBreakers =
        CircuitBreakers.builder()
            .waitDurationInOpenState(Duration.ofSeconds(3))
            .meterRegistry(registry)
            .build();
    // The retry budget keeps its 20 % ratio; a reserve of 10 retries per second lets the few
    // callers of a quiet client ride out a restart in the first seconds of the run.
    Supplier<RetryBudget> budget =
        () -> RetryBudget.builder().ratio(0.2).minRetriesPerSecond(10).build();
    LifelineCalls itemCalls =
        LifelineCalls.builder()
            .service("item-master")
            .retryPolicy(retry)
            .retryBudget(budget)
            .circuitBreakers(breakers)
            .meterRegistry(registry)
            .build();
    LifelineChannel itemLease = pool.lease(item.target());
    closeables.add(itemLease);
    ItemServiceGrpc.ItemServiceBlockingStub itemStub =
        ItemServiceGrpc.newBlockingStub(itemCalls.intercept(itemLease));
    LifelineCalls aiCalls =
        LifelineCalls.builder()
            .service(AiBackend.APP_ID)
            .retryPolicy(retry)
            .retryBudget(budget)
            .circuitBreakers(breakers)
            .header("dapr-app-id", AiBackend.APP_ID)
            .meterRegistry(registry)
            .build();
    LifelineChannel aiLease = pool.lease(ai.target());
    closeables.add(aiLease);
    AiModelGrpc.AiModelBlockingStub aiStub =
        AiModelGrpc.newBlockingStub(aiCalls.intercept(aiLease));
    StickyGroupChannel.Builder sticky =
        StickyGroupChannel.builder("orders")
            .callPolicy(StickyGroupChannel.defaultPolicy("orders").meterRegistry(registry).build());
    for (String address : orders.addresses()) {
      LifelineChannel lease = pool.lease(address);
      closeables.add(lease);
      sticky.member(address, lease);
    }
    StickyGroupChannel orderChannel = sticky.build();
    closeables.add(orderChannel);
    OrderServiceGrpc.OrderServiceBlockingStub orderStub =
        OrderServiceGrpc.newBlockingStub(orderChannel);
    LifelineHttpClient http =
        LifelineHttpClient.create(
            HttpClientConfig.builder(storage.baseUri())
                .callPolicy(
                    CallPolicy.builder()
                        .service("storage")
                        .circuitBreakers(storageBreakers)
                        .meterRegistry(registry)
                        .build())
                .build());
    closeables.add(http);

    List<String> services = List.of("item", "order", "ai-model", "storage");
    Timeline timeline = new Timeline(services);
    AtomicReference<Demo.Served> lastOrder = new AtomicReference<>(new Demo.Served(-1, "-"));
    AtomicLong orderSeq = new AtomicLong();
    List<Demo.DemoCall> calls =
        List.of(
            () -> {
              itemStub
                  .withDeadlineAfter(5, TimeUnit.SECONDS)
                  .getItemDetail(
                      GetItemDetailRequest.newBuilder()
                          .setTenantId("t1")
                          .setStoreCode("s1")
                          .setItemCode("49" + random.nextInt(1000))
                          .build());
              return Timeline.Outcome.OK;
            },
            () -> {
              ProcessOrderResponse r =
                  orderStub
                      .withDeadlineAfter(5, TimeUnit.SECONDS)
                      .processOrder(
                          ProcessOrderRequest.newBuilder()
                              .setOrderId("o-" + orderSeq.incrementAndGet())
                              .setAmountCents(100 + random.nextInt(900))
                              .build());
              lastOrder.set(new Demo.Served(timeline.nowMillis(), r.getProcessedBy()));
              return Timeline.Outcome.OK;
            },
            () -> {
              aiStub
                  .withDeadlineAfter(5, TimeUnit.SECONDS)
                  .extract(ExtractRequest.newBuilder().setContent("leaf").build());
              return Timeline.Outcome.OK;
            },
            () -> {
              try {
                http.execute(HttpRequest.get("/objects/o" + random.nextInt(100)));
                return Timeline.Outcome.OK;
              } catch (LifelineHttpException e) {
                // Degrade as LADON's reader does: serve the cached copy while Storage fails or
                // the breaker is open. The user gets an answer, but not a fresh one: degraded.
                return Timeline.Outcome.DEGRADED;
              }
            });
    List<String[]> serviceRows = new ArrayList<>();
    serviceRows.add(new String[] {"item", "item-master", "ItemService", item.target()});
    List<String[]> members = orders.members();
    for (String[] m : members) {
      serviceRows.add(new String[] {"order", "orders", "OrderService " + m[0], m[1]});
    }
    serviceRows.add(
        new String[] {
          "ai-model",
          AiBackend.APP_ID,
          "AiModel (dapr-app-id " + AiBackend.APP_ID + ")",
          ai.target()
        });
    serviceRows.add(
        new String[] {"storage", "storage", "Storage HTTP", storage.baseUri().toString()});
    out.println("services (workload name, Lifeline service, server, address):");
    for (String[] row : serviceRows) {
      out.printf(Locale.ROOT, "  %-9s %-12s %-28s %s%n", row[0], row[1], row[2], row[3]);
    }

    return new World(
        item,
        storage,
        orders,
        breakers,
        storageBreakers,
        services,
        timeline,
        calls,
        serviceRows,
        lastOrder);
  }
}
