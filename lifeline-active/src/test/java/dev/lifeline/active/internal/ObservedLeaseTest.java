package dev.lifeline.active.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** What a member makes of the leases other holders wrote. */
class ObservedLeaseTest {

  private static final GroupId GROUP = GroupId.of("orders", "eu-1");
  private static final LeaseHolder ME = new LeaseHolder("a", "a-1", "a:1");
  private static final LeaseHolder OTHER = new LeaseHolder("b", "b-1", "b:1");
  private static final Duration TTL = Duration.ofMillis(1500);
  private static final long MS = 1_000_000;

  private final ObservedLease observed = new ObservedLease();

  private static Optional<Lease> lease(LeaseHolder h, long token, long revision, Duration ttl) {
    return Optional.of(new Lease(GROUP, h, 0, token, revision, Instant.EPOCH, Instant.EPOCH, ttl));
  }

  @Test
  void aNewTenureCountsAsOneLostElectionAndItsRenewalsDoNot() {
    assertThat(observed.observe(lease(OTHER, 3, 3, TTL), ME, 0)).isTrue();
    assertThat(observed.observe(lease(OTHER, 3, 4, TTL), ME, 400 * MS)).isFalse();
    assertThat(observed.observe(lease(OTHER, 5, 5, TTL), ME, 800 * MS)).isTrue();
  }

  @Test
  void aLeaseOfThisIncarnationIsNotObserved() {
    assertThat(observed.observe(lease(ME, 3, 3, TTL), ME, 0)).isFalse();
    assertThat(observed.lastSeen()).isNull();
    assertThat(observed.expectedExpiryNanos(TTL)).isEmpty();
  }

  @Test
  void theExpiryCountsFromTheLastChangeWithTheLongerOfBothTtls() {
    observed.observe(lease(OTHER, 3, 3, TTL), ME, 0);
    observed.observe(lease(OTHER, 3, 4, TTL), ME, 400 * MS);
    observed.observe(lease(OTHER, 3, 4, TTL), ME, 700 * MS); // the same write polled again
    assertThat(observed.expectedExpiryNanos(TTL)).hasValue(1_900 * MS);
    observed.observe(lease(OTHER, 3, 5, Duration.ofSeconds(3)), ME, 800 * MS);
    assertThat(observed.expectedExpiryNanos(TTL)).hasValue(3_800 * MS);
  }

  @Test
  void aTakeoverIsTimedFromThePreviousHoldersLastSignOfLife() {
    assertThat(observed.won(0)).isEmpty();
    observed.observe(lease(OTHER, 3, 3, TTL), ME, 100 * MS);
    observed.observe(Optional.empty(), ME, 600 * MS); // released
    assertThat(observed.won(610 * MS)).isEqualTo(OptionalLong.of(10 * MS));
    assertThat(observed.lastSeen()).isNull();
  }

  @Test
  void onlyALaterForeignEventReplacesTheLatestOne() {
    LeaseEvent at6 = LeaseEvent.deleted(GROUP, 0, 6);
    observed.foreignEvent(at6);
    observed.foreignEvent(LeaseEvent.deleted(GROUP, 0, 5));
    assertThat(observed.latestForeign()).isEqualTo(at6);
    LeaseEvent nextEpoch = LeaseEvent.deleted(GROUP, 1, 1);
    observed.foreignEvent(nextEpoch);
    assertThat(observed.latestForeign()).isEqualTo(nextEpoch);
  }
}
