package dev.lifeline.active.nats.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.active.nats.internal.StoreErrors.Kind;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What an error of a bucket operation means, as a table. */
class StoreErrorsTest {

  @ParameterizedTest(name = "code {0}, \"{1}\": {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "10071 | wrong last sequence: 7 [10071]                 | CONFLICT",
        // A lost compare-and-set stays a conflict whatever numbers its message holds.
        "10071 | wrong last sequence: 503 [10071]               | CONFLICT",
        "10059 | stream not found [10059]                       | BUCKET_MAYBE_GONE",
        "0     | 503 No Responders Available For Request        | BUCKET_MAYBE_GONE",
        "0     | Timeout or no response waiting for NATS JetStream server | UNAVAILABLE",
        "0     | Connection is closed                           | UNAVAILABLE",
        "10008 | JetStream system temporarily unavailable        | UNAVAILABLE",
        "0     | null                                           | UNAVAILABLE",
      })
  void anErrorIsAConflictAPossiblyMissingBucketOrAStoreThatDidNotAnswer(
      int code, String message, Kind kind) {
    assertThat(StoreErrors.classify(code, message)).isEqualTo(kind);
  }

  @Test
  void anExceptionThatIsNoJetStreamApiErrorIsJudgedByItsMessageAlone() {
    assertThat(StoreErrors.classify(new IOException("Timeout or no response")))
        .isEqualTo(Kind.UNAVAILABLE);
    assertThat(StoreErrors.classify(new IllegalStateException("503 No Responders")))
        .isEqualTo(Kind.BUCKET_MAYBE_GONE);
    assertThat(StoreErrors.classify(new TimeoutException())).isEqualTo(Kind.UNAVAILABLE);
  }
}
