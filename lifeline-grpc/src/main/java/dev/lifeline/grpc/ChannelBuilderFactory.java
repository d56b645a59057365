package dev.lifeline.grpc;

import dev.lifeline.grpc.internal.PlaintextFactory;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import java.util.Objects;

/**
 * Creates the grpc builder for a target; {@link ChannelPool} then applies {@link ChannelOptions}
 * (keepalive, message size, idle timeout, no service-config lookup) and builds the channel.
 *
 * <p>Secure by default, as grpc-java's own builders are: {@link #tls()} is the pool's default.
 * Plaintext is an explicit, named choice ({@link #plaintext()}): the pool logs a WARN naming each
 * plaintext target, and a pool built for production refuses plaintext unless it was forced with
 * {@link #plaintextEvenInProduction()}.
 *
 * <p>Implementations must be thread-safe and must not connect: grpc channels connect on first use.
 */
@FunctionalInterface
public interface ChannelBuilderFactory {

  /** Returns a new, unconfigured builder for {@code target}. */
  ManagedChannelBuilder<?> newBuilder(String target);

  /** Whether the channels travel unencrypted; default {@code false}. */
  default boolean isPlaintext() {
    return false;
  }

  /** Whether plaintext channels were allowed even in production; default {@code false}. */
  default boolean isPlaintextAllowedInProduction() {
    return false;
  }

  /** TLS channels with the JVM's default trust store, through grpc's transport; the default. */
  static ChannelBuilderFactory tls() {
    return credentials(TlsChannelCredentials.create());
  }

  /**
   * Plaintext channels: requests, and any credentials in their metadata, travel unencrypted. For
   * loopback, tests, and meshes that encrypt underneath (a sidecar). Refused by a pool built for
   * production.
   */
  static ChannelBuilderFactory plaintext() {
    return new PlaintextFactory(false);
  }

  /**
   * Plaintext channels, allowed even in production: for a sidecar on localhost (Dapr, Envoy) that
   * encrypts the hop to the service.
   */
  static ChannelBuilderFactory plaintextEvenInProduction() {
    return new PlaintextFactory(true);
  }

  /** Channels that authenticate with {@code credentials}, for example mutual TLS. */
  static ChannelBuilderFactory credentials(ChannelCredentials credentials) {
    Objects.requireNonNull(credentials, "credentials");
    if (credentials instanceof InsecureChannelCredentials) {
      return plaintext();
    }
    return target -> Grpc.newChannelBuilder(target, credentials);
  }
}
