package dev.lifeline.demo.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemDetail;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * An ItemService on a Netty server at 127.0.0.1 that can answer normally, after a delay, with
 * UNAVAILABLE, or never, and that can stop and start again on the same port. Counts every attempt
 * that reaches it. Thread-safe; start/stop are synchronized on this.
 */
public final class ItemBackend implements AutoCloseable {

  /** How the server answers. */
  public enum Mode {
    OK,
    UNAVAILABLE,
    HANG
  }

  private final AtomicLong attempts = new AtomicLong();
  private final ScheduledExecutorService delayer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "item-backend-delay");
            t.setDaemon(true);
            return t;
          });
  private final int maxStreams;
  private volatile Mode mode = Mode.OK;
  private volatile long delayMillis;

  @GuardedBy("this")
  private @Nullable Server server;

  @GuardedBy("this")
  private int port;

  /**
   * Creates a stopped backend.
   *
   * @param maxStreams the per-connection concurrent-stream limit, 0 for grpc's default
   */
  public ItemBackend(int maxStreams) {
    this.maxStreams = maxStreams;
  }

  /** Starts on an ephemeral port the first time and on the same port afterwards. */
  public synchronized ItemBackend start() throws IOException {
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .addService(new Impl());
    if (maxStreams > 0) {
      b.maxConcurrentCallsPerConnection(maxStreams);
    }
    server = b.build().start();
    port = server.getPort();
    return this;
  }

  /** Stops at once, failing calls in flight, and waits up to 5 s for the port to be released. */
  public synchronized void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
      server = null;
    }
  }

  /** The port; 0 before the first start. */
  public synchronized int port() {
    return port;
  }

  /** The target string {@code 127.0.0.1:port}. */
  public String target() {
    return "127.0.0.1:" + port();
  }

  /** Sets how the server answers from now on. */
  public void mode(Mode mode) {
    this.mode = mode;
  }

  /** Delays every normal answer by {@code millis}. */
  public void delayMillis(long millis) {
    this.delayMillis = millis;
  }

  /** Attempts that reached the server so far. */
  public long attempts() {
    return attempts.get();
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      delayer.shutdownNow();
    }
  }

  /** Builds the answer for {@code code}. */
  static ItemDetail detail(String code) {
    return ItemDetail.newBuilder()
        .setItemCode(code)
        .setDescription("item " + code)
        .setUnitPriceCents(199)
        .setCategoryCode("food")
        .build();
  }

  private final class Impl extends ItemServiceGrpc.ItemServiceImplBase {
    @Override
    public void getItemDetail(GetItemDetailRequest req, StreamObserver<ItemDetail> out) {
      attempts.incrementAndGet();
      switch (mode) {
        case UNAVAILABLE ->
            out.onError(Status.UNAVAILABLE.withDescription("bench: down").asRuntimeException());
        case HANG -> {
          // Never answers: the client's deadline or a server stop ends the call.
        }
        default -> {
          long d = delayMillis;
          if (d <= 0) {
            out.onNext(detail(req.getItemCode()));
            out.onCompleted();
          } else {
            ScheduledFuture<?> unused =
                delayer.schedule(
                    () -> {
                      out.onNext(detail(req.getItemCode()));
                      out.onCompleted();
                    },
                    d,
                    TimeUnit.MILLISECONDS);
          }
        }
      }
    }
  }
}
