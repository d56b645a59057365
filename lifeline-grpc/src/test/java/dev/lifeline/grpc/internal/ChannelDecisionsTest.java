package dev.lifeline.grpc.internal;

import static io.grpc.ConnectivityState.CONNECTING;
import static io.grpc.ConnectivityState.IDLE;
import static io.grpc.ConnectivityState.READY;
import static io.grpc.ConnectivityState.SHUTDOWN;
import static io.grpc.ConnectivityState.TRANSIENT_FAILURE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.grpc.internal.ChannelDecisions.HatchStep;
import io.grpc.ConnectivityState;
import io.grpc.Status;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link ChannelDecisions}, rule by rule, as tables. */
class ChannelDecisionsTest {

  private static ConnectivityState[] states(String spec) {
    if (spec.isEmpty()) {
      return new ConnectivityState[0];
    }
    return Arrays.stream(spec.split(" "))
        .map(ConnectivityState::valueOf)
        .toArray(ConnectivityState[]::new);
  }

  private static int[] loads(String spec) {
    if (spec.isEmpty()) {
      return new int[0];
    }
    return Arrays.stream(spec.split(" ")).mapToInt(Integer::parseInt).toArray();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      emptyValue = "",
      textBlock =
          """
          # why                                          | states                          | expected
          no connection yet is idle                      | ''                              | IDLE
          one connection speaks for itself               | TRANSIENT_FAILURE               | TRANSIENT_FAILURE
          one ready connection lets calls proceed        | TRANSIENT_FAILURE READY         | READY
          connecting beats idle                          | IDLE CONNECTING                 | CONNECTING
          idle beats failing                             | TRANSIENT_FAILURE IDLE          | IDLE
          failing beats shut down                        | SHUTDOWN TRANSIENT_FAILURE      | TRANSIENT_FAILURE
          all shut down                                  | SHUTDOWN SHUTDOWN               | SHUTDOWN
          """)
  void theBestConnectionSpeaksForTheTarget(String why, String states, ConnectivityState expected) {
    assertThat(ChannelDecisions.targetState(states(states))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                           | states                                | loads  | limit | max | expected
          the first connection with room                   | READY READY                           | 3 1    | 5     | 2   | 0
          a full connection is passed over                 | READY READY                           | 5 1    | 5     | 2   | 1
          a failing connection is passed over              | TRANSIENT_FAILURE READY               | 0 4    | 5     | 2   | 1
          every usable one full: add one                   | READY                                 | 5      | 5     | 2   | -1
          every one full at the limit: least loaded        | READY READY READY                     | 7 6 9  | 5     | 3   | 1
          least loaded tie goes to the first               | READY READY                           | 6 6    | 5     | 2   | 0
          all failing and room to grow: add one           | TRANSIENT_FAILURE                     | 0      | 5     | 2   | -1
          all failing at the limit: the first              | TRANSIENT_FAILURE TRANSIENT_FAILURE   | 0 0    | 5     | 2   | 0
          a failing one is not least loaded                | TRANSIENT_FAILURE READY               | 0 9    | 5     | 2   | 1
          idle and connecting carry calls                  | IDLE CONNECTING                       | 5 2    | 5     | 2   | 1
          """)
  void aCallTakesTheFirstUsableConnectionWithRoom(
      String why, String states, String loads, int limit, int max, int expected) {
    assertThat(ChannelDecisions.pick(states(states), loads(loads), limit, max)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                          | connections | inFlight | limit | shrink
          a single connection always stays               | 1           | 0        | 10    | false
          idle pair shrinks                              | 2           | 0        | 10    | true
          load fits in half of the rest                  | 2           | 5        | 10    | true
          load above half of the rest keeps it           | 2           | 6        | 10    | false
          three connections, load fits half of two       | 3           | 10       | 10    | true
          three connections, load just too high          | 3           | 11       | 10    | false
          """)
  void aSurplusConnectionClosesOnceTheLoadFitsInHalfOfTheRest(
      String why, int connections, int inFlight, int limit, boolean shrink) {
    assertThat(ChannelDecisions.shouldShrink(connections, inFlight, limit)).isEqualTo(shrink);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                          | states                                      | victim
          the newest when all are well                   | READY READY READY                           | 2
          a failing connection goes first                | READY TRANSIENT_FAILURE READY               | 1
          the first failing one                          | TRANSIENT_FAILURE READY TRANSIENT_FAILURE   | 0
          """)
  void theConnectionThatCannotConnectIsClosedFirst(String why, String states, int victim) {
    assertThat(ChannelDecisions.shrinkVictim(states(states))).isEqualTo(victim);
  }

  static Stream<Arguments> hatch() {
    return Stream.of(
        // why, code, server answered, started READY, state now, step
        Arguments.of("success resets", Status.Code.OK, false, true, READY, HatchStep.RESET),
        Arguments.of(
            "a server answer resets, whatever its code",
            Status.Code.UNAVAILABLE,
            true,
            true,
            READY,
            HatchStep.RESET),
        Arguments.of(
            "an application error with trailers resets",
            Status.Code.INTERNAL,
            true,
            false,
            TRANSIENT_FAILURE,
            HatchStep.RESET),
        Arguments.of(
            "a transport failure on a READY channel counts",
            Status.Code.UNAVAILABLE,
            false,
            true,
            READY,
            HatchStep.COUNT),
        Arguments.of(
            "a call that started before READY proves nothing",
            Status.Code.UNAVAILABLE,
            false,
            false,
            READY,
            HatchStep.IGNORE),
        Arguments.of(
            "a deadline the caller chose proves nothing",
            Status.Code.DEADLINE_EXCEEDED,
            false,
            true,
            READY,
            HatchStep.IGNORE),
        Arguments.of(
            "a cancelled call proves nothing",
            Status.Code.CANCELLED,
            false,
            true,
            READY,
            HatchStep.IGNORE),
        Arguments.of(
            "a channel that admits trouble is grpc's to reconnect",
            Status.Code.UNAVAILABLE,
            false,
            true,
            TRANSIENT_FAILURE,
            HatchStep.IGNORE),
        Arguments.of(
            "a channel that is connecting again is grpc's to reconnect",
            Status.Code.UNAVAILABLE,
            false,
            true,
            CONNECTING,
            HatchStep.IGNORE),
        Arguments.of(
            "a channel that went idle proves nothing",
            Status.Code.UNAVAILABLE,
            false,
            true,
            IDLE,
            HatchStep.IGNORE),
        Arguments.of(
            "a shut down channel proves nothing",
            Status.Code.UNAVAILABLE,
            false,
            true,
            SHUTDOWN,
            HatchStep.IGNORE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hatch")
  void onlyATransportFailureOnAReadyChannelCountsTowardsTheEscapeHatch(
      String why,
      Status.Code code,
      boolean serverAnswered,
      boolean startedReady,
      ConnectivityState now,
      HatchStep step) {
    assertThat(ChannelDecisions.escapeHatch(code, serverAnswered, startedReady, now))
        .isEqualTo(step);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                          | lastReset            | now  | minGap | reset
          the first waiting call resets at once          | -9223372036854775808 | 0    | 100    | true
          a second call inside the gap does not          | 1000                 | 1099 | 100    | false
          a call exactly one gap later does              | 1000                 | 1100 | 100    | true
          a call long after does                         | 1000                 | 9000 | 100    | true
          """)
  void waitingCallsSkipGrpcsBackoffAtMostOncePerInitialDelay(
      String why, long lastReset, long now, long minGap, boolean reset) {
    assertThat(ChannelDecisions.resetNow(lastReset, now, minGap)).isEqualTo(reset);
  }
}
