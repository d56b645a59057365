package dev.lifeline.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import java.util.Objects;

/**
 * Creates the grpc builder for a target; {@link ChannelPool} then applies {@link ChannelOptions}
 * (keepalive, message size, idle timeout, {@code disableRetry()}) and builds the channel.
 *
 * <p>Implementations must be thread-safe and must not connect: grpc channels connect on first use.
 */
@FunctionalInterface
public interface ChannelBuilderFactory {

  /** Returns a new, unconfigured builder for {@code target}. */
  ManagedChannelBuilder<?> newBuilder(String target);

  /** Plaintext channels through grpc's registered transport (Netty); the default. */
  static ChannelBuilderFactory plaintext() {
    return credentials(InsecureChannelCredentials.create());
  }

  /** Channels that authenticate with {@code credentials}, for example TLS. */
  static ChannelBuilderFactory credentials(ChannelCredentials credentials) {
    Objects.requireNonNull(credentials, "credentials");
    return target -> Grpc.newChannelBuilder(target, credentials);
  }
}
