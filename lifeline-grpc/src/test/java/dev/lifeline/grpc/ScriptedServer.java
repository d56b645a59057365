package dev.lifeline.grpc;

import dev.lifeline.testing.Utf8Marshaller;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process server whose answers are scripted per attempt: fail N times then succeed, always
 * fail, stall, push back. Everything runs on the calling thread (direct executors), so tests on
 * fake time are deterministic. Thread-safe; the script is guarded by {@code this}.
 */
final class ScriptedServer implements AutoCloseable {

  static final MethodDescriptor.Marshaller<String> STRING = Utf8Marshaller.INSTANCE;

  /** A read, marked idempotent as {@code idempotency_level = NO_SIDE_EFFECTS} would mark it. */
  static final MethodDescriptor<String, String> UNARY =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("test.Scripted/Get")
          .setSafe(true)
          .setIdempotent(true)
          .setRequestMarshaller(STRING)
          .setResponseMarshaller(STRING)
          .build();

  /** A write, not marked: never sent twice unless it provably never left. */
  static final MethodDescriptor<String, String> CREATE =
      UNARY.toBuilder()
          .setFullMethodName("test.Scripted/Create")
          .setSafe(false)
          .setIdempotent(false)
          .build();

  static final MethodDescriptor<String, String> STREAM =
      UNARY.toBuilder()
          .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
          .setFullMethodName("test.Scripted/List")
          .build();

  static final MethodDescriptor<String, String> BIDI =
      UNARY.toBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName("test.Scripted/Chat")
          .build();

  /** One scripted answer to one attempt. */
  interface Action {
    void answer(String request, StreamObserver<String> response);
  }

  static Action ok(String body) {
    return (req, obs) -> {
      obs.onNext(body);
      obs.onCompleted();
    };
  }

  static Action fail(Status status) {
    return (req, obs) -> obs.onError(status.asRuntimeException());
  }

  static Action fail(Status status, Metadata trailers) {
    return (req, obs) -> obs.onError(status.asRuntimeException(trailers));
  }

  static Action pushback(Status status, String millis) {
    Metadata t = new Metadata();
    t.put(GrpcFailures.RETRY_PUSHBACK_MS, millis);
    return fail(status, t);
  }

  /** Never answers; the call ends only by deadline or cancellation. */
  static Action stall() {
    return (req, obs) -> {};
  }

  private final String name = InProcessServerBuilder.generateName();
  private final Deque<Action> script = new ArrayDeque<>();
  private Action otherwise = ok("ok");
  final AtomicInteger attempts = new AtomicInteger();
  final List<Metadata> headers = new CopyOnWriteArrayList<>();
  private final Server server;

  ScriptedServer() throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("test.Scripted")
            .addMethod(UNARY, ServerCalls.asyncUnaryCall(this::handle))
            .addMethod(CREATE, ServerCalls.asyncUnaryCall(this::handle))
            .addMethod(STREAM, ServerCalls.asyncServerStreamingCall(this::handle))
            .addMethod(
                BIDI,
                ServerCalls.asyncBidiStreamingCall(
                    obs ->
                        new StreamObserver<String>() {
                          @Override
                          public void onNext(String value) {
                            attempts.incrementAndGet();
                            obs.onNext("echo:" + value);
                          }

                          @Override
                          public void onError(Throwable t) {}

                          @Override
                          public void onCompleted() {
                            obs.onCompleted();
                          }
                        }))
            .build();
    ServerInterceptor capture =
        new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
              ServerCall<ReqT, RespT> call, Metadata h, ServerCallHandler<ReqT, RespT> next) {
            headers.add(h);
            return next.startCall(call, h);
          }
        };
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(service, capture))
            .build()
            .start();
  }

  /** Queues answers for the next attempts, in order. */
  synchronized ScriptedServer then(Action... actions) {
    script.addAll(List.of(actions));
    return this;
  }

  /** Answers every attempt not covered by {@link #then}. Default: {@code ok("ok")}. */
  synchronized ScriptedServer otherwise(Action action) {
    otherwise = action;
    return this;
  }

  ManagedChannel channel() {
    return InProcessChannelBuilder.forName(name).directExecutor().disableRetry().build();
  }

  private void handle(String request, StreamObserver<String> response) {
    attempts.incrementAndGet();
    Action a;
    synchronized (this) {
      a = script.isEmpty() ? otherwise : script.poll();
    }
    a.answer(request, response);
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
