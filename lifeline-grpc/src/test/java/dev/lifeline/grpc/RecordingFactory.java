package dev.lifeline.grpc;

import io.grpc.ForwardingChannelBuilder2;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Wraps a builder factory and remembers every channel built, so tests can inspect and clean up. */
final class RecordingFactory implements ChannelBuilderFactory {
  final List<ManagedChannel> built = new CopyOnWriteArrayList<>();
  private final ChannelBuilderFactory base;

  private RecordingFactory(ChannelBuilderFactory base) {
    this.base = base;
  }

  static RecordingFactory inProcess() {
    return new RecordingFactory(InProcessChannelBuilder::forName);
  }

  static RecordingFactory plaintext() {
    return new RecordingFactory(ChannelBuilderFactory.plaintext());
  }

  @Override
  public ManagedChannelBuilder<?> newBuilder(String target) {
    return new Recording(base.newBuilder(target));
  }

  ManagedChannel last() {
    return built.get(built.size() - 1);
  }

  void shutdownAll() {
    built.forEach(ManagedChannel::shutdownNow);
  }

  private final class Recording extends ForwardingChannelBuilder2<Recording> {
    private final ManagedChannelBuilder<?> delegate;

    Recording(ManagedChannelBuilder<?> delegate) {
      this.delegate = delegate;
    }

    @Override
    protected ManagedChannelBuilder<?> delegate() {
      return delegate;
    }

    @Override
    public ManagedChannel build() {
      ManagedChannel c = delegate.build();
      built.add(c);
      return c;
    }
  }
}
