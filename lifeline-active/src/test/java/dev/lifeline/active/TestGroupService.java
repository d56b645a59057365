package dev.lifeline.active;

import dev.lifeline.testing.Utf8Marshaller;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.util.concurrent.locks.LockSupport;

/** A hand-built gRPC service for group tests: exclusive Process and shared Stats, string bodies. */
public final class TestGroupService {

  static final MethodDescriptor.Marshaller<String> STRING = Utf8Marshaller.INSTANCE;

  public static final MethodDescriptor<String, String> PROCESS =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("lifeline.test.Group/Process")
          .setRequestMarshaller(STRING)
          .setResponseMarshaller(STRING)
          .build();

  public static final MethodDescriptor<String, String> STATS =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("lifeline.test.Group/Stats")
          .setRequestMarshaller(STRING)
          .setResponseMarshaller(STRING)
          .build();

  private TestGroupService() {}

  /**
   * The service of one member: Process records its interval in {@code checker} and answers
   * "memberId:token"; Stats answers the member id.
   */
  public static ServerServiceDefinition definition(String memberId, OverlapChecker checker) {
    return ServerServiceDefinition.builder("lifeline.test.Group")
        .addMethod(
            PROCESS,
            ServerCalls.asyncUnaryCall(
                (req, obs) -> {
                  long token = FencingToken.current().orElseThrow();
                  long start = System.nanoTime();
                  // Simulated work so that intervals have a width; not a wait for a condition.
                  LockSupport.parkNanos(300_000);
                  long end = System.nanoTime();
                  checker.record(memberId, token, start, end);
                  obs.onNext(memberId + ":" + token);
                  obs.onCompleted();
                }))
        .addMethod(
            STATS,
            ServerCalls.asyncUnaryCall(
                (req, obs) -> {
                  obs.onNext(memberId);
                  obs.onCompleted();
                }))
        .build();
  }
}
