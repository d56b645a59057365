package dev.lifeline.demo.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
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
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A single-active OrderService group of instances in this JVM, each a Netty server on 127.0.0.1
 * with its own {@link ActiveMember} competing over one lease store. An instance can crash (server
 * killed, heartbeats stopped, lease not released), hand over gracefully, and come back on the same
 * port. Thread-safe; lifecycle methods are synchronized on this.
 */
public final class OrderGroup implements AutoCloseable {

  /** The group id of the demo's OrderService. */
  public static final GroupId GROUP = GroupId.of("order-service", "orders");

  private final LeaseStore store;
  private final ActiveOptions options;
  private final MeterRegistry registry;
  private final Instance[] instances;

  /**
   * Creates the group; {@link #start()} starts it.
   *
   * @param size the number of instances
   * @param store the lease store, closed by the caller
   * @param options the election options
   * @param registry where the members' meters go
   */
  public OrderGroup(int size, LeaseStore store, ActiveOptions options, MeterRegistry registry) {
    this.store = store;
    this.options = options;
    this.registry = registry;
    this.instances = new Instance[size];
    for (int i = 0; i < size; i++) {
      instances[i] = new Instance("order-" + (i + 1));
    }
  }

  /** Starts every instance. */
  public synchronized OrderGroup start() throws IOException {
    for (Instance in : instances) {
      in.start();
    }
    return this;
  }

  /** The members' addresses, {@code 127.0.0.1:port}, in instance order. */
  public synchronized List<String> addresses() {
    List<String> a = new ArrayList<>();
    for (Instance in : instances) {
      a.add("127.0.0.1:" + in.port);
    }
    return a;
  }

  /** The id of the instance that is active now, or {@code "-"}. */
  public String activeId() {
    for (Instance in : instancesSnapshot()) {
      ActiveMember m = in.member;
      if (m != null && m.isActive()) {
        return in.id;
      }
    }
    return "-";
  }

  /** Each instance's id and address, {@code 127.0.0.1:port}, in instance order. */
  public synchronized List<String[]> members() {
    List<String[]> r = new ArrayList<>();
    for (Instance in : instances) {
      r.add(new String[] {in.id, "127.0.0.1:" + in.port});
    }
    return r;
  }

  /** Each instance's id, address and role (ACTIVE, STANDBY or STOPPED), for the status page. */
  public List<String[]> roles() {
    List<String[]> r = new ArrayList<>();
    for (Instance in : instancesSnapshot()) {
      ActiveMember m = in.member;
      r.add(new String[] {in.id, "127.0.0.1:" + in.port, m == null ? "STOPPED" : m.role().name()});
    }
    return r;
  }

  /** How many instances believe they are active right now. */
  public int activeCount() {
    int n = 0;
    for (Instance in : instancesSnapshot()) {
      ActiveMember m = in.member;
      if (m != null && m.isActive()) {
        n++;
      }
    }
    return n;
  }

  /** Orders processed by all instances. */
  public long processed() {
    long n = 0;
    for (Instance in : instancesSnapshot()) {
      n += in.processed.get();
    }
    return n;
  }

  private synchronized Instance[] instancesSnapshot() {
    return instances.clone();
  }

  /**
   * Crashes the active instance: its server dies and its heartbeats stop, without releasing the
   * lease, so the others must wait for it to expire.
   *
   * @return the crashed instance's id, or empty if none was active
   */
  public synchronized String crashActive() throws InterruptedException {
    for (Instance in : instances) {
      ActiveMember m = in.member;
      if (m != null && m.isActive()) {
        in.crash();
        return in.id;
      }
    }
    return "";
  }

  /**
   * Hands over gracefully: the active instance steps down, drains and releases its lease, then
   * stops.
   *
   * @return the id of the instance that stepped down, or empty if none was active
   */
  public synchronized String handOver() throws InterruptedException {
    for (Instance in : instances) {
      ActiveMember m = in.member;
      if (m != null && m.isActive()) {
        in.stopGracefully();
        return in.id;
      }
    }
    return "";
  }

  /** Starts the instance {@code id} again on its port, as a standby. */
  public synchronized void restart(String id) throws IOException {
    for (Instance in : instances) {
      if (in.id.equals(id) && in.stopped()) {
        in.start();
      }
    }
  }

  @Override
  public synchronized void close() {
    for (Instance in : instances) {
      try {
        in.stopGracefully();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private final class Instance {
    final String id;
    final AtomicLong processed = new AtomicLong();
    // Written once, at the first start under OrderGroup.this; the status page reads it without
    // the lock, which a crash may hold for seconds.
    volatile int port;

    @GuardedBy("OrderGroup.this")
    @Nullable Server server;

    @GuardedBy("OrderGroup.this")
    @Nullable ScheduledExecutorService scheduler;

    // Written under OrderGroup.this; read without it by the status page and the load.
    volatile @Nullable ActiveMember member;

    Instance(String id) {
      this.id = id;
    }

    // Each lifecycle step takes the group's lock again (it is reentrant): the group's synchronized
    // methods call them, and the lock is what guards the fields above.
    void start() throws IOException {
      synchronized (OrderGroup.this) {
        if (port == 0) {
          // The member needs its address for leader hints before its server is built.
          try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
          }
        }
        // After a simulated crash the scheduler is dead; a lease-store watch callback that still
        // arrives for the dead member is dropped instead of failing the store's caller.
        ScheduledExecutorService s =
            new ScheduledThreadPoolExecutor(
                1,
                r -> {
                  Thread t = new Thread(r, "order-election-" + id);
                  t.setDaemon(true);
                  return t;
                },
                new ThreadPoolExecutor.DiscardPolicy());
        scheduler = s;
        ActiveMember m =
            ActiveMember.builder(GROUP, id, store)
                .address("127.0.0.1:" + port)
                .options(options)
                .scheduler(s)
                .meterRegistry(registry)
                .build();
        ExclusiveInterceptor exclusive =
            ExclusiveInterceptor.builder(m)
                .exclusive(OrderServiceGrpc.getProcessOrderMethod())
                .meterRegistry(registry)
                .build();
        server =
            NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .addService(ServerInterceptors.intercept(new Impl(), exclusive))
                .build()
                .start();
        member = m;
        m.start();
      }
    }

    /** Whether its server is down: crashed or stopped, and not started again. */
    boolean stopped() {
      synchronized (OrderGroup.this) {
        return server == null;
      }
    }

    void crash() throws InterruptedException {
      synchronized (OrderGroup.this) {
        // Heartbeats stop first, so the lease is left to expire in the store. The server then
        // stops taking calls but lets the ones in flight finish: a call cut off mid-flight may
        // have been processed, so the sticky client rightly does not replay it, and whether one is
        // in flight at the crash instant is luck. What the demo shows is the lease that is never
        // released.
        if (scheduler != null) {
          scheduler.shutdownNow();
        }
        Server s = server;
        if (s != null) {
          s.shutdown();
          if (!s.awaitTermination(2, TimeUnit.SECONDS)) {
            s.shutdownNow();
            s.awaitTermination(5, TimeUnit.SECONDS);
          }
        }
        server = null;
        member = null;
      }
    }

    void stopGracefully() throws InterruptedException {
      synchronized (OrderGroup.this) {
        ActiveMember m = member;
        if (m != null) {
          m.close();
        }
        member = null;
        Server s = server;
        if (s != null) {
          s.shutdown();
          if (!s.awaitTermination(2, TimeUnit.SECONDS)) {
            s.shutdownNow();
          }
          server = null;
        }
        if (scheduler != null) {
          scheduler.shutdownNow();
        }
      }
    }

    private final class Impl extends OrderServiceGrpc.OrderServiceImplBase {
      @Override
      public void processOrder(ProcessOrderRequest req, StreamObserver<ProcessOrderResponse> out) {
        processed.incrementAndGet();
        out.onNext(
            ProcessOrderResponse.newBuilder()
                .setOrderId(req.getOrderId())
                .setProcessedBy(id)
                .setFencingToken(FencingToken.current().orElse(-1))
                .build());
        out.onCompleted();
      }

      @Override
      public void getOrderStats(GetOrderStatsRequest req, StreamObserver<OrderStats> out) {
        ActiveMember m = member;
        out.onNext(
            OrderStats.newBuilder()
                .setInstanceId(id)
                .setRole(m == null ? "STOPPED" : m.role().name())
                .setProcessed(processed.get())
                .build());
        out.onCompleted();
      }
    }
  }
}
