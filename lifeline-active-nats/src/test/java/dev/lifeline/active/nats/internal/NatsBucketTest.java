package dev.lifeline.active.nats.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.active.nats.internal.NatsBucket.EpochChange;
import dev.lifeline.active.nats.internal.NatsBucket.Missing;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The bucket's lifecycle decisions, as tables; the I/O is covered by NatsLeaseStoreTest. */
class NatsBucketTest {

  @ParameterizedTest(name = "last epoch {0}, createBucket {1}: {2}")
  @CsvSource({
    "0,   true,  CREATE",
    "0,   false, NOT_ALLOWED",
    // Once a bucket was used, its disappearance is never answered by creating a new one.
    "170, true,  GONE_WHILE_USED",
    "170, false, GONE_WHILE_USED",
  })
  void aMissingBucketIsCreatedOnlyOnFirstUseAndOnlyIfAllowed(
      long lastEpoch, boolean createBucket, Missing missing) {
    assertThat(NatsBucket.onMissing(lastEpoch, createBucket)).isEqualTo(missing);
  }

  @ParameterizedTest(name = "last epoch {0}, now {1}: {2}")
  @CsvSource({
    "0,   170, FIRST",
    "170, 170, SAME",
    "170, 171, RECREATED",
    // A recreated bucket with an earlier creation time would make fencing tokens go back.
    "170, 169, WENT_BACK",
  })
  void aReopenedBucketIsTheSameOneARecreatedOneOrOneThatWouldTurnTokensBack(
      long lastEpoch, long epoch, EpochChange change) {
    assertThat(NatsBucket.epochChange(lastEpoch, epoch)).isEqualTo(change);
  }
}
