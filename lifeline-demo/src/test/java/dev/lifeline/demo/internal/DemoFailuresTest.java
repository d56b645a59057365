package dev.lifeline.demo.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.StopReason;
import dev.lifeline.core.spi.CallExecution;
import dev.lifeline.grpc.LifelineCallException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A failed demo call says why: the Lifeline report line, even through the stub's wrapper. */
class DemoFailuresTest {

  private static LifelineCallException failure() {
    CallPolicy policy =
        CallPolicy.builder()
            .service("item-master")
            .retryPolicy(RetryPolicy.noRetry())
            .circuitBreakers(CircuitBreakers.disabled())
            .build();
    CallExecution call =
        CallExecution.start(policy, "127.0.0.1:50051", "ItemService/GetItemDetail");
    return new LifelineCallException(
        call.abandon(StopReason.BREAKER_OPEN), Status.UNAVAILABLE, null);
  }

  @Test
  void theReasonIsTheReportLineFoundInsideTheStubsException() {
    LifelineCallException lifeline = failure();
    // What a blocking stub throws: a plain StatusRuntimeException caused by Lifeline's.
    StatusRuntimeException thrown = Status.UNAVAILABLE.withCause(lifeline).asRuntimeException();

    assertThat(Demo.Failures.reason(thrown))
        .isEqualTo(lifeline.report().message())
        .contains("item-master", "ItemService/GetItemDetail");
  }

  @Test
  void eachPrintedFailureNamesTheServiceAndTheFirstTwentyArePrinted() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Demo.Failures failures =
        new Demo.Failures(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    for (int i = 0; i < 25; i++) {
      failures.print("item", 1500, failure());
    }

    String[] lines = bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
    assertThat(lines).hasSize(20);
    assertThat(lines[0]).startsWith("failed: item at 1.5 s: ").contains("item-master");
    assertThat(lines[19]).endsWith("(further failures are counted, not printed)");
  }
}
