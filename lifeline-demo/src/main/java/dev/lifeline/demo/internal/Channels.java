package dev.lifeline.demo.internal;

import dev.lifeline.grpc.ChannelBuilderFactory;
import dev.lifeline.grpc.ChannelPool;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Plain grpc-java channels for the baselines, with a creation counter. Thread-safe. */
public final class Channels {

  /** Plain channels created by the baselines in this JVM. */
  public static final AtomicLong CREATED = new AtomicLong();

  private Channels() {}

  /** A plain grpc-java channel with default settings, as most code creates one. */
  public static ManagedChannel plain(String target) {
    CREATED.incrementAndGet();
    return NettyChannelBuilder.forTarget(target).usePlaintext().build();
  }

  /** A pool for the demo's own services, all on loopback in this JVM: plaintext, by name. */
  public static ChannelPool plaintextPool() {
    return ChannelPool.builder().builderFactory(ChannelBuilderFactory.plaintext()).build();
  }

  /** {@link #plaintextPool()} with its meters in {@code registry}. */
  public static ChannelPool plaintextPool(MeterRegistry registry) {
    return ChannelPool.builder()
        .builderFactory(ChannelBuilderFactory.plaintext())
        .meterRegistry(registry)
        .build();
  }

  /** Shuts {@code channel} down, waiting at most 5 s, then forcibly. */
  public static void close(ManagedChannel channel) throws InterruptedException {
    channel.shutdown();
    if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
      channel.shutdownNow();
    }
  }
}
