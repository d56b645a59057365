package dev.lifeline.grpc.internal;

import dev.lifeline.grpc.ChannelBuilderFactory;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;

/** Plaintext channels, optionally allowed in production. Immutable and thread-safe. */
public final class PlaintextFactory implements ChannelBuilderFactory {

  private final boolean allowedInProduction;

  /** A plaintext factory; {@code allowedInProduction} forces it past a production pool. */
  public PlaintextFactory(boolean allowedInProduction) {
    this.allowedInProduction = allowedInProduction;
  }

  @Override
  public ManagedChannelBuilder<?> newBuilder(String target) {
    return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create());
  }

  @Override
  public boolean isPlaintext() {
    return true;
  }

  @Override
  public boolean isPlaintextAllowedInProduction() {
    return allowedInProduction;
  }
}
