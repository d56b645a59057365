package dev.lifeline.examples.order;

import dev.lifeline.examples.order.proto.GetOrderStatsRequest;
import dev.lifeline.examples.order.proto.OrderServiceGrpc;
import dev.lifeline.examples.order.proto.OrderStats;
import dev.lifeline.examples.order.proto.ProcessOrderRequest;
import dev.lifeline.examples.order.proto.ProcessOrderResponse;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.StickyGroupChannel;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The order client: calls go through a {@link StickyGroupChannel} over the instances' addresses, so
 * NOT_ACTIVE answers and dead instances are followed to the active one. Thread-safe.
 */
public final class OrderClient implements AutoCloseable {

  private final StickyGroupChannel channel;
  private final Duration deadline;

  /**
   * Creates a client over the instances at {@code addresses}, each reached over a lease on {@code
   * pool} (the application's pool, which decides TLS or plaintext).
   *
   * @param deadline each call's deadline; make it cover a failover (TTL + 0.5 s) for zero failures
   */
  public OrderClient(
      ChannelPool pool, List<String> addresses, Duration deadline, MeterRegistry registry) {
    StickyGroupChannel.Builder b =
        StickyGroupChannel.builder(OrderInstance.GROUP.toString())
            .channelPool(pool)
            .callPolicy(
                StickyGroupChannel.defaultPolicy(OrderInstance.GROUP.toString())
                    .meterRegistry(registry)
                    .build());
    addresses.forEach(b::member);
    this.channel = b.build();
    this.deadline = deadline;
  }

  /** Processes one order on the active instance. */
  public ProcessOrderResponse process(String orderId, long amountCents) {
    return OrderServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .processOrder(
            ProcessOrderRequest.newBuilder()
                .setOrderId(orderId)
                .setAmountCents(amountCents)
                .build());
  }

  /** Reads stats from whichever instance the channel prefers (any instance answers). */
  public OrderStats stats() {
    return OrderServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
        .getOrderStats(GetOrderStatsRequest.getDefaultInstance());
  }

  @Override
  public void close() {
    channel.close();
  }
}
