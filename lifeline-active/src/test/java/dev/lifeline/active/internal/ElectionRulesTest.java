package dev.lifeline.active.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.lifeline.active.Acquisition;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import dev.lifeline.active.internal.ElectionRules.Acquired;
import dev.lifeline.active.internal.ElectionRules.Foreign;
import dev.lifeline.active.internal.ElectionRules.Renewed;
import io.grpc.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The election loop's decisions as tables: each row is one situation and what it must mean. */
class ElectionRulesTest {

  private static final GroupId GROUP = GroupId.of("orders", "eu-1");
  private static final LeaseHolder ME = new LeaseHolder("a", "a-1", "a:1");
  private static final LeaseHolder MY_TWIN = new LeaseHolder("a", "a-2", "a:2");
  private static final LeaseHolder OTHER = new LeaseHolder("b", "b-1", "b:1");
  private static final long MS = 1_000_000;

  private static Lease lease(LeaseHolder h, long token, long revision) {
    return new Lease(
        GROUP, h, 0, token, revision, Instant.EPOCH, Instant.EPOCH, Duration.ofMillis(1500));
  }

  private static Tenure tenure(long token) {
    return new Tenure(token, 1_000 * MS, Context.ROOT.withCancellation());
  }

  // ---- acquire -----------------------------------------------------------------------------

  static Stream<Arguments> acquires() {
    Acquisition wonAt5 = Acquisition.won(lease(ME, 5, 5));
    LeaseEvent otherAt6 = LeaseEvent.written(lease(OTHER, 6, 6));
    LeaseEvent otherAt4 = LeaseEvent.written(lease(OTHER, 4, 4));
    LeaseEvent deletedAt6 = LeaseEvent.deleted(GROUP, 0, 6);
    return Stream.of(
        // situation, answer, latest foreign event on the watch, closing, now (ms), outcome
        arguments(
            "another holder's live lease is a lost election",
            Acquisition.notWon(Optional.of(lease(OTHER, 3, 3))),
            null,
            false,
            0,
            Acquired.LOST),
        arguments(
            "a store that shows nothing and no win is a lost election",
            Acquisition.notWon(Optional.empty()),
            null,
            false,
            0,
            Acquired.LOST),
        arguments(
            "a lease of its own the attempt did not write is never a win",
            Acquisition.notWon(Optional.of(lease(ME, 3, 3))),
            null,
            false,
            0,
            Acquired.LOST),
        arguments(
            "a win for another holder is ignored",
            Acquisition.won(lease(OTHER, 5, 5)),
            null,
            false,
            0,
            Acquired.BOGUS_WIN),
        arguments(
            "a win for another incarnation of the same id is ignored",
            Acquisition.won(lease(MY_TWIN, 5, 5)),
            null,
            false,
            0,
            Acquired.BOGUS_WIN),
        arguments("a win in time starts a tenure", wonAt5, null, false, 0, Acquired.ACTIVE),
        arguments(
            "a win after an older foreign write starts a tenure",
            wonAt5,
            otherAt4,
            false,
            0,
            Acquired.ACTIVE),
        arguments(
            "a win the watch already showed overwritten is no tenure",
            wonAt5,
            otherAt6,
            false,
            0,
            Acquired.SUPERSEDED),
        arguments(
            "a win the watch already showed deleted is no tenure",
            wonAt5,
            deletedAt6,
            false,
            0,
            Acquired.SUPERSEDED),
        arguments(
            "a foreign write in a later store generation supersedes a win",
            wonAt5,
            LeaseEvent.written(
                new Lease(
                    GROUP, OTHER, 1, 9, 1, Instant.EPOCH, Instant.EPOCH, Duration.ofSeconds(1))),
            false,
            0,
            Acquired.SUPERSEDED),
        arguments("a win while closing is released", wonAt5, null, true, 0, Acquired.RELEASE),
        arguments(
            "a win answered one nanosecond before the deadline starts a tenure",
            wonAt5,
            null,
            false,
            1_300 * MS - 1,
            Acquired.ACTIVE),
        arguments(
            "a win answered at the deadline is too late to use",
            wonAt5,
            null,
            false,
            1_300 * MS,
            Acquired.TOO_LATE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("acquires")
  void theAnswerToAnAcquireMeans(
      String situation,
      Acquisition answer,
      LeaseEvent latestForeign,
      boolean closing,
      long nowNanos,
      Acquired expected) {
    long deadline = ElectionRules.tenureDeadline(0, ActiveOptions.defaults()); // 1.3 s
    assertThat(ElectionRules.afterAcquire(answer, ME, latestForeign, closing, deadline, nowNanos))
        .isEqualTo(expected);
  }

  // ---- renew -------------------------------------------------------------------------------

  static Stream<Arguments> renewals() {
    Optional<Lease> renewed = Optional.of(lease(ME, 5, 8));
    return Stream.of(
        // situation, still held, answer, tenure, now (ms), outcome
        arguments(
            "a lease changed meanwhile by a watch event or close is left to them",
            false,
            renewed,
            tenure(5),
            0,
            Renewed.OVERTAKEN),
        arguments(
            "an empty answer is a lost lease", true, Optional.empty(), tenure(5), 0, Renewed.LOST),
        arguments(
            "a renewal in time extends the tenure", true, renewed, tenure(5), 0, Renewed.EXTENDED),
        arguments(
            "a renewal answered after its deadline ends the tenure",
            true,
            renewed,
            tenure(5),
            1_300 * MS,
            Renewed.TOO_LATE),
        arguments(
            "a renewal with no tenure running keeps the lease only",
            true,
            renewed,
            null,
            0,
            Renewed.KEPT),
        arguments(
            "a renewal of another token than the tenure's extends nothing",
            true,
            renewed,
            tenure(4),
            0,
            Renewed.KEPT));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renewals")
  void theAnswerToARenewalMeans(
      String situation,
      boolean stillHeld,
      Optional<Lease> answer,
      Tenure tenure,
      long nowNanos,
      Renewed expected) {
    long deadline = ElectionRules.tenureDeadline(0, ActiveOptions.defaults()); // 1.3 s
    assertThat(ElectionRules.afterRenew(stillHeld, answer, tenure, deadline, nowNanos))
        .isEqualTo(expected);
  }

  // ---- watch -------------------------------------------------------------------------------

  static Stream<Arguments> foreignEvents() {
    Lease heldAt5 = lease(ME, 5, 5);
    return Stream.of(
        // situation, event, held lease, closing, outcome
        arguments(
            "a later foreign write ends the held lease",
            LeaseEvent.written(lease(OTHER, 6, 6)),
            heldAt5,
            false,
            Foreign.LOSES_LEASE),
        arguments(
            "a later delete ends the held lease",
            LeaseEvent.deleted(GROUP, 0, 6),
            heldAt5,
            false,
            Foreign.LOSES_LEASE),
        arguments(
            "a release delivered late is old news",
            LeaseEvent.deleted(GROUP, 0, 4),
            heldAt5,
            false,
            Foreign.NOTHING),
        arguments(
            "a release while nothing is held starts an attempt at once",
            LeaseEvent.deleted(GROUP, 0, 4),
            null,
            false,
            Foreign.COMPETE_NOW),
        arguments(
            "a closing member does not compete for a release",
            LeaseEvent.deleted(GROUP, 0, 4),
            null,
            true,
            Foreign.NOTHING),
        arguments(
            "another holder's renewal is only observed",
            LeaseEvent.written(lease(OTHER, 3, 4)),
            null,
            false,
            Foreign.NOTHING),
        arguments(
            "a closing member still loses its lease to a later write",
            LeaseEvent.written(lease(OTHER, 6, 6)),
            heldAt5,
            true,
            Foreign.LOSES_LEASE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("foreignEvents")
  void aForeignWatchEventMeans(
      String situation, LeaseEvent event, Lease held, boolean closing, Foreign expected) {
    assertThat(ElectionRules.afterForeignEvent(event, held, closing)).isEqualTo(expected);
  }

  // ---- timing ------------------------------------------------------------------------------

  static Stream<Arguments> takeovers() {
    return Stream.of(
        // situation, expiry of the observed lease (ms, -1 none), now (ms), wait (ns)
        arguments("with no lease observed a standby polls every heartbeat", -1, 0, 400 * MS),
        arguments("a lease far from expiry waits a heartbeat", 1_500, 0, 400 * MS),
        arguments(
            "a lease expiring before the next poll is tried just after", 1_500, 1_200, 302 * MS),
        arguments(
            "an expired lease is tried after the shortest gap, not at once", 1_500, 2_000, 5 * MS));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("takeovers")
  void aStandbyTriesAgain(String situation, long expiryMs, long nowMs, long expectedNanos) {
    OptionalLong expiry = expiryMs < 0 ? OptionalLong.empty() : OptionalLong.of(expiryMs * MS);
    assertThat(ElectionRules.untilTakeover(400 * MS, expiry, nowMs * MS)).isEqualTo(expectedNanos);
  }

  static Stream<Arguments> backoffs() {
    return Stream.of(
        // situation, errors in a row, wait (ms)
        arguments("the first error waits a heartbeat", 1, 400),
        arguments("each further error doubles the wait", 3, 1_600),
        arguments("the wait stops at the cap", 5, 5_000),
        arguments("a long outage never overflows the shift", 1_000, 5_000));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backoffs")
  void anUnreachableStoreIsRetried(String situation, int errors, long expectedMs) {
    assertThat(ElectionRules.storeBackoff(errors, 400 * MS, 5_000 * MS)).isEqualTo(expectedMs * MS);
  }

  @Test
  void aFailedRenewalIsRetriedAfterHalfAHeartbeatAndNeverAtOnce() {
    assertThat(ElectionRules.afterRenewError(400 * MS)).isEqualTo(200 * MS);
    assertThat(ElectionRules.afterRenewError(1)).isEqualTo(1);
  }

  @Test
  void aTenureEndsASafetyMarginBeforeTheStoreCouldExpireItsLease() {
    ActiveOptions opts = ActiveOptions.defaults(); // ttl 1.5 s, margin 200 ms
    assertThat(ElectionRules.tenureDeadline(100 * MS, opts)).isEqualTo(1_400 * MS);
  }
}
