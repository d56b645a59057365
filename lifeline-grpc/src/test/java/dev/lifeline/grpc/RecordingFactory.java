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

  /**
   * While set, every call on the channels built fails in the "transport", as a connection stuck in
   * READY does (grpc-java issue 12958): UNAVAILABLE with an I/O cause, nothing from the server.
   */
  volatile boolean stuck;

  private RecordingFactory(ChannelBuilderFactory base) {
    this.base = base;
  }

  static RecordingFactory inProcess() {
    return new RecordingFactory(InProcessChannelBuilder::forName);
  }

  static RecordingFactory of(ChannelBuilderFactory base) {
    return new RecordingFactory(base);
  }

  static RecordingFactory plaintext() {
    return new RecordingFactory(ChannelBuilderFactory.plaintext());
  }

  @Override
  public ManagedChannelBuilder<?> newBuilder(String target) {
    return new Recording(base.newBuilder(target)).intercept(new StuckTransport());
  }

  @Override
  public boolean isPlaintext() {
    return base.isPlaintext();
  }

  /** Fails calls locally, without any stream, while {@link #stuck} is set. */
  private final class StuckTransport implements io.grpc.ClientInterceptor {
    @Override
    public <ReqT, RespT> io.grpc.ClientCall<ReqT, RespT> interceptCall(
        io.grpc.MethodDescriptor<ReqT, RespT> method,
        io.grpc.CallOptions callOptions,
        io.grpc.Channel next) {
      if (!stuck) {
        return next.newCall(method, callOptions);
      }
      return new io.grpc.ClientCall<>() {
        @Override
        public void start(Listener<RespT> listener, io.grpc.Metadata headers) {
          listener.onClose(
              io.grpc.Status.UNAVAILABLE
                  .withDescription("io exception")
                  .withCause(new java.io.IOException("Connection reset by peer")),
              new io.grpc.Metadata());
        }

        @Override
        public void request(int n) {}

        @Override
        public void cancel(String message, Throwable cause) {}

        @Override
        public void halfClose() {}

        @Override
        public void sendMessage(ReqT message) {}
      };
    }
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
