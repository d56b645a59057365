package dev.lifeline.examples.infra;

import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineChannel;
import io.grpc.Channel;
import io.grpc.stub.AbstractStub;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The base of isa_common's infrastructure clients (Postgres, Redis, MinIO, Qdrant... behind gRPC
 * gateways), rewritten on Lifeline.
 *
 * <p>What changed against the original: the health check before each call reads the channel's real
 * state (the original checked a {@code _connected} flag and failed with "Channel is closed"); a
 * channel closed underneath is rebuilt once for all clients; {@link #reconnect()} swaps the shared
 * channel for every client and drains the old one instead of force-closing it under the others;
 * {@link #close()} releases only this client's lease.
 *
 * <p>Thread-safe.
 *
 * @param <S> the generated stub type
 */
public final class InfrastructureClient<S extends AbstractStub<S>> implements AutoCloseable {

  private final String address;
  private final LifelineChannel channel;
  private final S stub;
  private final AtomicBoolean closed = new AtomicBoolean();

  private InfrastructureClient(String address, LifelineChannel channel, S stub) {
    this.address = address;
    this.channel = channel;
    this.stub = stub;
  }

  /**
   * A client for {@code host:port}. Opens nothing: the first call connects.
   *
   * @param stubFactory a generated factory, for example {@code ItemServiceGrpc::newBlockingStub}
   * @throws IllegalArgumentException if {@code address} is not a valid gRPC target (the message
   *     names it)
   */
  public static <S extends AbstractStub<S>> InfrastructureClient<S> create(
      ChannelPool pool, String address, Function<Channel, S> stubFactory) {
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(stubFactory, "stubFactory");
    LifelineChannel channel = pool.lease(address);
    return new InfrastructureClient<>(address, channel, stubFactory.apply(channel));
  }

  /**
   * The stub for calls. Every call goes through the managed channel, which checks its local state
   * first.
   *
   * @throws IllegalStateException if this client is closed
   */
  public S stub() {
    if (closed.get()) {
      throw new IllegalStateException("infrastructure client for " + address + " is closed");
    }
    return stub;
  }

  /** The address this client talks to. */
  public String address() {
    return address;
  }

  /**
   * The original's {@code is_channel_healthy()}: local state only, never connects, works before the
   * first call. False once this client is closed.
   */
  public boolean isHealthy() {
    return !closed.get() && channel.isHealthy();
  }

  /**
   * Replaces the shared channel; the old one drains its in-flight calls and is shut down, never
   * leaked. Other clients of the same address move to the new channel too.
   *
   * @throws IllegalStateException if this client is closed
   */
  public void reconnect() {
    if (closed.get()) {
      throw new IllegalStateException("infrastructure client for " + address + " is closed");
    }
    channel.reconnect();
  }

  /** Releases this client; idempotent. The channel closes when its last client is gone. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      channel.close();
    }
  }
}
