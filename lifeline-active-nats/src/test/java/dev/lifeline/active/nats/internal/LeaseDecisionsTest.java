package dev.lifeline.active.nats.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The lease store's decisions about one key, each as a table. */
class LeaseDecisionsTest {

  private static final long MS = 1_000_000;

  @ParameterizedTest(name = "lease ttl {0} ms, caller ttl {1} ms, visible {2} ms: {3}")
  @CsvSource({
    // The lease's own TTL, when it is the larger.
    "600, 300,   0, false",
    "600, 300, 599, false",
    "600, 300, 600, true",
    // The caller's TTL, when it is the larger: a short-TTL holder cannot be taken over early.
    "300, 600, 300, false",
    "300, 600, 599, false",
    "300, 600, 600, true",
    "600, 600, 601, true",
    // A ticker that went back (a new first sighting) never expires a lease.
    "600, 600,  -1, false",
  })
  void anotherHoldersLeaseMayBeTakenOverOnceItsRevisionWasVisibleForTheLargerTtl(
      long leaseTtlMs, long callerTtlMs, long visibleMs, boolean mayTakeOver) {
    assertThat(
            LeaseDecisions.mayTakeOver(
                Duration.ofMillis(leaseTtlMs), Duration.ofMillis(callerTtlMs), visibleMs * MS))
        .isEqualTo(mayTakeOver);
  }

  @ParameterizedTest(name = "won {0}, read back {1}: superseded {2}")
  @CsvSource({
    // The key reads as absent: nothing later is there (a delete is not reported by a get).
    "5, 0, false",
    // The win itself.
    "5, 5, false",
    // A later write right behind the win (nats-server#4320).
    "5, 6, true",
    "5, 99, true",
    // An older revision from a lagging read: not a later write.
    "5, 4, false",
  })
  void aWinIsSupersededOnlyByALaterRevisionReadBack(long won, long readBack, boolean superseded) {
    assertThat(LeaseDecisions.supersededAfterWin(won, readBack)).isEqualTo(superseded);
  }

  @ParameterizedTest(name = "revision {0}, highest seen {1}: rewrite {2}")
  @CsvSource({
    // Nothing seen yet in this bucket.
    "1, 0, false",
    "7, 6, false",
    // A revision handed out again after the stream lost acknowledged writes.
    "6, 6, true",
    "3, 6, true",
  })
  void aLeaseIsRewrittenWhileItsRevisionIsNoHigherThanOneSeen(
      long revision, long highestSeen, boolean rewrite) {
    assertThat(LeaseDecisions.mustRewrite(revision, highestSeen)).isEqualTo(rewrite);
  }

  @ParameterizedTest(name = "token {0}, epoch {1}: revision {2}")
  @CsvSource({
    "1700000000000042, 1700000000000000, 42",
    "1700000000000001, 1700000000000000, 1",
    // The epoch alone, or a token of an earlier bucket: no revision here.
    "1700000000000000, 1700000000000000, 0",
    "1600000000000042, 1700000000000000, 0",
    // A token of a much later bucket: not a revision of this one.
    "3400000000000000, 1700000000000000, 0",
    "3399999999999999, 1700000000000000, 1699999999999999",
  })
  void aDownstreamTokenNamesARevisionOnlyInItsOwnBucket(long token, long epoch, long revision) {
    assertThat(LeaseDecisions.revisionOfToken(token, epoch)).isEqualTo(revision);
  }
}
