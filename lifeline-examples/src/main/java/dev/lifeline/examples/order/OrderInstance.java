package dev.lifeline.examples.order;

import dev.lifeline.active.ActiveHealth;
import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.ExclusiveInterceptor;
import dev.lifeline.active.FencingToken;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.examples.order.proto.GetOrderStatsRequest;
import dev.lifeline.examples.order.proto.OrderServiceGrpc;
import dev.lifeline.examples.order.proto.OrderStats;
import dev.lifeline.examples.order.proto.ProcessOrderRequest;
import dev.lifeline.examples.order.proto.ProcessOrderResponse;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One instance of the order service: a Netty server on 127.0.0.1 whose {@code ProcessOrder} runs
 * only while this instance is the group's active member. Thread-safe.
 */
public final class OrderInstance implements AutoCloseable {

  /** The group every instance joins. */
  public static final GroupId GROUP = GroupId.of("order-service", "default");

  private final Server server;
  private final ActiveMember member;
  private final AtomicLong processed = new AtomicLong();

  private OrderInstance(String id, LeaseStore store, ActiveOptions options) throws IOException {
    HealthStatusManager health = new HealthStatusManager();
    // Bind first: the member advertises the real port in its lease (the leader hint).
    java.util.concurrent.atomic.AtomicReference<ExclusiveInterceptor> ref =
        new java.util.concurrent.atomic.AtomicReference<>();
    Impl impl = new Impl(id);
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                ServerInterceptors.intercept(
                    impl,
                    new io.grpc.ServerInterceptor() {
                      @Override
                      public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
                          io.grpc.ServerCall<Q, R> call,
                          io.grpc.Metadata headers,
                          io.grpc.ServerCallHandler<Q, R> next) {
                        ExclusiveInterceptor exclusive = ref.get();
                        if (exclusive == null) {
                          // Bound but not yet a member: the caller should try another instance.
                          call.close(
                              io.grpc.Status.UNAVAILABLE.withDescription("order instance starting"),
                              new io.grpc.Metadata());
                          return new io.grpc.ServerCall.Listener<Q>() {};
                        }
                        return exclusive.interceptCall(call, headers, next);
                      }
                    }))
            .addService(health.getHealthService())
            .build()
            .start();
    this.member =
        ActiveMember.builder(GROUP, id, store).address(address()).options(options).build();
    ref.set(
        ExclusiveInterceptor.builder(member)
            .exclusive(OrderServiceGrpc.getProcessOrderMethod())
            .build());
    ActiveHealth.bind(member, health, OrderServiceGrpc.SERVICE_NAME);
    member.start();
  }

  /**
   * Starts an instance.
   *
   * @throws IOException if the server cannot bind
   */
  public static OrderInstance start(String id, LeaseStore store, ActiveOptions options)
      throws IOException {
    return new OrderInstance(id, store, options);
  }

  /** {@code 127.0.0.1:port}. */
  public String address() {
    return "127.0.0.1:" + server.getPort();
  }

  /** The group membership. */
  public ActiveMember member() {
    return member;
  }

  /** Graceful stop: hand over (release the lease), then stop serving. */
  @Override
  public void close() {
    member.close();
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private final class Impl extends OrderServiceGrpc.OrderServiceImplBase {
    private final String id;

    Impl(String id) {
      this.id = id;
    }

    @Override
    public void processOrder(
        ProcessOrderRequest request, StreamObserver<ProcessOrderResponse> observer) {
      // The token goes with every downstream write so that a deposed instance is fenced off.
      long token = FencingToken.current().orElseThrow();
      processed.incrementAndGet();
      observer.onNext(
          ProcessOrderResponse.newBuilder()
              .setOrderId(request.getOrderId())
              .setProcessedBy(id)
              .setFencingToken(token)
              .build());
      observer.onCompleted();
    }

    @Override
    public void getOrderStats(GetOrderStatsRequest request, StreamObserver<OrderStats> observer) {
      observer.onNext(
          OrderStats.newBuilder()
              .setInstanceId(id)
              .setRole(member.role().name())
              .setProcessed(processed.get())
              .build());
      observer.onCompleted();
    }
  }
}
