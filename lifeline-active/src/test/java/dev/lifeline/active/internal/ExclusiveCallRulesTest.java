package dev.lifeline.active.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.lifeline.active.internal.ExclusiveListener.Step;
import io.grpc.MethodDescriptor.MethodType;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The per-call decisions of the exclusive interceptor, and the store order, as tables. */
class ExclusiveCallRulesTest {

  @ParameterizedTest(name = "stopped {0}, tenure current {1}, handler started {2}: {3}")
  @CsvSource({
    "false, true,  false, PROCEED",
    "false, true,  true,  PROCEED",
    "false, false, false, STOP_NOT_ACTIVE",
    "false, false, true,  STOP_ABORTED",
    "true,  false, false, DROP",
    "true,  false, true,  DROP",
  })
  void anAdmittedCallsNextMessageOrHalfClose(
      boolean stopped, boolean current, boolean handlerStarted, Step expected) {
    assertThat(ExclusiveListener.next(stopped, current, handlerStarted)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "a {0} handler runs at start: {1}")
  @CsvSource({
    "UNARY, false",
    "SERVER_STREAMING, false",
    "CLIENT_STREAMING, true",
    "BIDI_STREAMING, true",
    "UNKNOWN, true",
  })
  void whetherTheHandlerMayHaveActedBeforeTheFirstMessage(MethodType type, boolean atStart) {
    assertThat(ExclusiveListener.handlerRunsAtStart(type)).isEqualTo(atStart);
  }

  static Stream<Arguments> holds() {
    long none = Long.MAX_VALUE;
    return Stream.of(
        // situation, remaining deadline (ms), election wait (ms), hold (ms)
        arguments("a call without a deadline is held the configured wait", none, 500, 500),
        arguments("a far deadline does not lengthen the wait", 60_000, 500, 500),
        arguments("a near deadline keeps half of it for the client", 600, 500, 300),
        arguments("a passed deadline is not held", -10, 500, 0),
        arguments("a zero wait holds nothing", 60_000, 0, 0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("holds")
  void howLongACallIsHeld(String situation, long remainingMs, long waitMs, long expectedMs) {
    long remaining = remainingMs == Long.MAX_VALUE ? remainingMs : remainingMs * 1_000_000;
    assertThat(HeldListener.holdFor(remaining, Duration.ofMillis(waitMs)))
        .isEqualTo(Duration.ofMillis(expectedMs));
  }

  @ParameterizedTest(name = "({0}, {1}) after ({2}, {3}): {4}")
  @CsvSource({
    "0, 6, 0, 5, true",
    "0, 5, 0, 5, false",
    "0, 4, 0, 5, false",
    "2, 1, 1, 900, true",
    "1, 900, 2, 1, false",
  })
  void storePositionsOrderByEpochThenRevision(
      long epoch, long revision, long otherEpoch, long otherRevision, boolean after) {
    assertThat(StoreOrder.isAfter(epoch, revision, otherEpoch, otherRevision)).isEqualTo(after);
  }
}
