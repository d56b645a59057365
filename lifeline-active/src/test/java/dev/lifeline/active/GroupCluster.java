package dev.lifeline.active;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/** Real members of one group, each behind its own Netty server on 127.0.0.1. */
public final class GroupCluster implements AutoCloseable {

  public static final GroupId GROUP = GroupId.of("test-service", "g1");

  /** One member and everything it owns. */
  public static final class Node {
    public final String id;
    public final ControllableStore store;
    public final ScheduledExecutorService scheduler;
    public final Server server;
    public final String address;
    public final ActiveMember member;
    public final HealthStatusManager health = new HealthStatusManager();
    boolean crashed;

    Node(String id, LeaseStore raw, ActiveOptions options, OverlapChecker checker) {
      this.id = id;
      this.store = new ControllableStore(raw);
      this.scheduler =
          Executors.newScheduledThreadPool(
              2,
              r -> {
                Thread t = new Thread(r, "test-member-" + id);
                t.setDaemon(true);
                return t;
              });
      AtomicReference<ServerInterceptor> ref = new AtomicReference<>();
      ServerInterceptor late =
          new ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
                io.grpc.ServerCall<Q, R> call,
                io.grpc.Metadata headers,
                io.grpc.ServerCallHandler<Q, R> next) {
              return ref.get().interceptCall(call, headers, next);
            }
          };
      try {
        this.server =
            NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(
                    ServerInterceptors.intercept(TestGroupService.definition(id, checker), late))
                .addService(health.getHealthService())
                .build()
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      this.address = "127.0.0.1:" + server.getPort();
      this.member =
          ActiveMember.builder(GROUP, id, store)
              .address(address)
              .options(options)
              .scheduler(scheduler)
              .build();
      ref.set(ExclusiveInterceptor.builder(member).exclusive(TestGroupService.PROCESS).build());
      ActiveHealth.bind(member, health, "lifeline.test.Group");
    }

    /**
     * Dies without releasing: no more renewals, store unreachable, server gone. The server finishes
     * the calls already running (each takes well under a millisecond) so that the test measures
     * lease expiry, not the fate of a request cut off mid-flight, which gRPC reports as CANCELLED
     * and only an idempotency-aware retry layer may repeat.
     */
    public void crash() {
      crashed = true;
      store.kill();
      scheduler.shutdownNow();
      server.shutdown();
      try {
        server.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server.shutdownNow();
    }

    /** Graceful stop: the member steps down, drains and releases; then the server stops. */
    public void stopGracefully() {
      member.close();
      crashed = true; // out of the live set
      server.shutdown();
      try {
        server.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server.shutdownNow();
    }

    void close() {
      if (!crashed) {
        member.close();
        server.shutdownNow();
      }
      scheduler.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      store.close();
    }
  }

  private final Supplier<LeaseStore> stores;
  private final ActiveOptions options;
  public final OverlapChecker checker = new OverlapChecker();
  public final List<Node> nodes = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private int nextId = 1;

  public GroupCluster(Supplier<LeaseStore> stores, ActiveOptions options) {
    this.stores = stores;
    this.options = options;
  }

  public Node add() {
    Node n = new Node("m" + nextId++, stores.get(), options, checker);
    nodes.add(n);
    n.member.start();
    return n;
  }

  public List<Node> live() {
    return nodes.stream().filter(n -> !n.crashed).toList();
  }

  public Optional<Node> active() {
    List<Node> a = live().stream().filter(n -> n.member.isActive()).toList();
    if (a.size() > 1) {
      throw new AssertionError("two active members: " + a.stream().map(n -> n.id).toList());
    }
    return a.stream().findFirst();
  }

  public ManagedChannel channelTo(Node n) {
    ManagedChannel c =
        Grpc.newChannelBuilder(n.address, InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (Node n : nodes) {
      n.close();
    }
  }
}
