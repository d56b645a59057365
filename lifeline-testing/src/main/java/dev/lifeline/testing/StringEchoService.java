package dev.lifeline.testing;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A one-method gRPC service with string messages and no generated code, for channel tests: it
 * echoes, fails every call with a chosen status, or holds calls until the test releases them.
 *
 * <p>Thread-safe.
 */
public final class StringEchoService {

  /** Creates a service that echoes every call. */
  public StringEchoService() {}

  /** The service name, {@code lifeline.testing.Echo}. */
  public static final String SERVICE = "lifeline.testing.Echo";

  /** The unary method {@code lifeline.testing.Echo/Say}. */
  public static final MethodDescriptor<String, String> SAY =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Say"))
          .setRequestMarshaller(Utf8Marshaller.INSTANCE)
          .setResponseMarshaller(Utf8Marshaller.INSTANCE)
          .build();

  private final Object lock = new Object();

  @GuardedBy("lock")
  private final List<StreamObserver<String>> held = new ArrayList<>();

  @GuardedBy("lock")
  private final List<String> heldRequests = new ArrayList<>();

  @GuardedBy("lock")
  private boolean holding;

  /** The status every call fails with; null: answer normally. */
  @GuardedBy("lock")
  private @Nullable Status failure;

  private final AtomicInteger calls = new AtomicInteger();

  /** Answers {@code "echo:" + request}. */
  public void respond() {
    synchronized (lock) {
      failure = null;
      holding = false;
    }
  }

  /** Fails every following call with {@code status}. */
  public void failWith(Status status) {
    synchronized (lock) {
      failure = status;
      holding = false;
    }
  }

  /** Holds every following call until {@link #releaseHeld()}. */
  public void hold() {
    synchronized (lock) {
      holding = true;
    }
  }

  /** Answers every held call and stops holding. */
  public int releaseHeld() {
    List<StreamObserver<String>> toAnswer;
    List<String> requests;
    synchronized (lock) {
      holding = false;
      toAnswer = new ArrayList<>(held);
      requests = new ArrayList<>(heldRequests);
      held.clear();
      heldRequests.clear();
    }
    for (int i = 0; i < toAnswer.size(); i++) {
      try {
        toAnswer.get(i).onNext("echo:" + requests.get(i));
        toAnswer.get(i).onCompleted();
      } catch (RuntimeException cancelled) {
        // The client gave up on this call already.
      }
    }
    return toAnswer.size();
  }

  /** Calls currently held. */
  public int heldCount() {
    synchronized (lock) {
      return held.size();
    }
  }

  /** Calls received so far. */
  public int calls() {
    return calls.get();
  }

  /** The service to add to a server. */
  public ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(SAY, ServerCalls.asyncUnaryCall(this::handle))
        .build();
  }

  private void handle(String request, StreamObserver<String> response) {
    calls.incrementAndGet();
    Status fail;
    synchronized (lock) {
      if (holding) {
        held.add(response);
        heldRequests.add(request);
        return;
      }
      fail = failure;
    }
    if (fail != null) {
      response.onError(fail.asRuntimeException());
    } else {
      response.onNext("echo:" + request);
      response.onCompleted();
    }
  }

  /**
   * Calls {@code Say} on {@code channel} and waits for the answer, at most {@code deadline}.
   *
   * @throws io.grpc.StatusRuntimeException when the call fails
   */
  public static String say(Channel channel, String request, Duration deadline) {
    return ClientCalls.blockingUnaryCall(
        channel,
        SAY,
        CallOptions.DEFAULT.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS),
        request);
  }
}
