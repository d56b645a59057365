package dev.lifeline.demo.internal;

import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;

/**
 * What the gRPC bench scenarios share: the request, the load's shape and the result row. One class
 * per scenario: {@link OverheadScenario}, {@link ChannelReuseScenario}, {@link
 * PoolScalingScenario}, {@link ReconnectScenario}, {@link RetryStormScenario}, {@link
 * BreakerScenario}. Stateless.
 */
final class GrpcScenarios {

  static final GetItemDetailRequest REQ =
      GetItemDetailRequest.newBuilder()
          .setTenantId("t1")
          .setStoreCode("s1")
          .setItemCode("4901234567890")
          .build();
  static final int THREADS = 4;
  static final int CONNECTIONS = 8;
  static final int ROUNDS = 3;
  static final long MAX_CALLS = 20_000_000L;

  private GrpcScenarios() {}

  /** One call within {@code deadlineMs}; whether it succeeded. */
  static boolean tryCall(ItemServiceGrpc.ItemServiceBlockingStub stub, long deadlineMs) {
    try {
      stub.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS).getItemDetail(REQ);
      return true;
    } catch (StatusRuntimeException e) {
      return false;
    }
  }

  static boolean isUnavailable(Throwable e) {
    return e instanceof StatusRuntimeException s
        && s.getStatus().getCode() == Status.Code.UNAVAILABLE;
  }

  static void row(BenchReport report, String name, Load.Result r, Object... extra) {
    Object[] fields = {
      "calls", r.calls(),
      "failed", r.failed(),
      "calls_per_s", r.throughput(),
      "p50_us", r.micros(50),
      "p99_us", r.micros(99),
    };
    Object[] all = new Object[fields.length + extra.length];
    System.arraycopy(fields, 0, all, 0, fields.length);
    System.arraycopy(extra, 0, all, fields.length, extra.length);
    report.result(name, all);
  }
}
