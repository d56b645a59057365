package dev.lifeline.active.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** When a held exclusive call is answered, as a table. */
class HeldCallsTest {

  private static final long MS = 1_000_000;
  private static final OptionalLong NONE = OptionalLong.empty();

  private static HeldCalls.Outlook outlook(
      boolean finished, boolean active, boolean renewalPending, OptionalLong expiry) {
    return new HeldCalls.Outlook(finished, active, renewalPending, expiry);
  }

  static Stream<Arguments> situations() {
    OptionalLong expiresAt1000 = OptionalLong.of(1_000 * MS);
    return Stream.of(
        // situation, outlook, held until (ms), now (ms), answered
        arguments(
            "an active member serves at once", outlook(false, true, false, NONE), 500, 0, true),
        arguments(
            "a closed member answers at once", outlook(true, false, false, NONE), 500, 0, true),
        arguments(
            "a lapsed tenure with a renewal pending is held",
            outlook(false, false, true, expiresAt1000),
            500,
            0,
            false),
        arguments(
            "with nobody holding the lease an election is on",
            outlook(false, false, false, NONE),
            500,
            0,
            false),
        arguments(
            "a healthy active elsewhere is named at once",
            outlook(false, false, false, expiresAt1000),
            500,
            0,
            true),
        arguments(
            "an active whose lease runs out within the window is waited for",
            outlook(false, false, false, expiresAt1000),
            1_500,
            800,
            false),
        arguments(
            "exactly the window before expiry counts as running out",
            outlook(false, false, false, expiresAt1000),
            1_500,
            500,
            false),
        arguments(
            "a call whose wait ran out is answered whatever the election",
            outlook(false, false, false, NONE),
            500,
            500,
            true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("situations")
  void aHeldCallIsAnswered(
      String situation, HeldCalls.Outlook o, long untilMs, long nowMs, boolean answered) {
    long window = HeldCalls.window(500 * MS, 1_500 * MS, 400 * MS); // min(500, 550) ms
    assertThat(HeldCalls.answerable(untilMs * MS, window, o, nowMs * MS)).isEqualTo(answered);
  }

  static Stream<Arguments> windows() {
    return Stream.of(
        // situation, wait (ms), ttl (ms), heartbeat (ms), window (ms)
        arguments("a short wait bounds the window", 100, 1_500, 400, 100),
        arguments("a long wait is capped at half of ttl minus heartbeat", 5_000, 1_500, 400, 550),
        arguments("no wait means no window", 0, 1_500, 400, 0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("windows")
  void theWindowOfRunningOut(
      String situation, long waitMs, long ttlMs, long heartbeatMs, long expectedMs) {
    assertThat(HeldCalls.window(waitMs * MS, ttlMs * MS, heartbeatMs * MS))
        .isEqualTo(expectedMs * MS);
  }
}
