package dev.lifeline.demo.internal;

import dev.lifeline.examples.aimodel.proto.AiModelGrpc;
import dev.lifeline.examples.aimodel.proto.ExtractRequest;
import dev.lifeline.examples.aimodel.proto.ExtractResponse;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The Farmer Power AI model behind a Dapr-style sidecar: calls must carry {@code dapr-app-id:
 * ai-model}, as Dapr routes by app id. Thread-safe.
 */
public final class AiBackend implements AutoCloseable {

  /** The app id the sidecar routes. */
  public static final String APP_ID = "ai-model";

  /** The Dapr routing header. */
  public static final Metadata.Key<String> APP_ID_KEY =
      Metadata.Key.of("dapr-app-id", Metadata.ASCII_STRING_MARSHALLER);

  private final Server server;

  /** Starts on an ephemeral port of 127.0.0.1. */
  public AiBackend() throws IOException {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(new Impl(), new Sidecar()))
            .build()
            .start();
  }

  /** The target string. */
  public String target() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class Sidecar implements ServerInterceptor {
    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
      String appId = headers.get(APP_ID_KEY);
      if (!APP_ID.equals(appId)) {
        call.close(
            Status.NOT_FOUND.withDescription("dapr: no app with id '" + appId + "'"),
            new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return next.startCall(call, headers);
    }
  }

  private static final class Impl extends AiModelGrpc.AiModelImplBase {
    @Override
    public void extract(ExtractRequest req, StreamObserver<ExtractResponse> out) {
      out.onNext(
          ExtractResponse.newBuilder()
              .setSuccess(true)
              .setExtractedJson("{\"leaf_count\":" + req.getContent().length() + "}")
              .build());
      out.onCompleted();
    }
  }
}
