package dev.lifeline.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.core.FailureKind;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GrpcFailuresTest {

  @Test
  void everyCodeMapsToTheSharedClassification() {
    assertThat(GrpcFailures.classify(Status.UNAVAILABLE)).isEqualTo(FailureKind.UNAVAILABLE);
    assertThat(GrpcFailures.classify(Status.DEADLINE_EXCEEDED)).isEqualTo(FailureKind.TIMEOUT);
    assertThat(GrpcFailures.classify(Status.RESOURCE_EXHAUSTED)).isEqualTo(FailureKind.OVERLOADED);
    assertThat(GrpcFailures.classify(Status.ABORTED)).isEqualTo(FailureKind.ABORTED);
    for (Status s : new Status[] {Status.INTERNAL, Status.UNKNOWN, Status.DATA_LOSS}) {
      assertThat(GrpcFailures.classify(s)).isEqualTo(FailureKind.SERVER_ERROR);
    }
    for (Status s :
        new Status[] {
          Status.NOT_FOUND,
          Status.INVALID_ARGUMENT,
          Status.ALREADY_EXISTS,
          Status.PERMISSION_DENIED,
          Status.UNAUTHENTICATED,
          Status.FAILED_PRECONDITION,
          Status.OUT_OF_RANGE,
          Status.UNIMPLEMENTED
        }) {
      assertThat(GrpcFailures.classify(s))
          .as(s.getCode().name())
          .isEqualTo(FailureKind.CALLER_ERROR);
    }
    assertThat(GrpcFailures.classify(Status.CANCELLED)).isEqualTo(FailureKind.CANCELLED);
    assertThat(GrpcFailures.classify(Status.CANCELLED, false)).isEqualTo(FailureKind.UNAVAILABLE);
    assertThat(GrpcFailures.classify(Status.CANCELLED, true)).isEqualTo(FailureKind.CANCELLED);
    assertThatThrownBy(() -> GrpcFailures.classify(Status.OK))
        .hasMessage("status: OK (expected: a failure)");
  }

  @Test
  void notActiveIsRecognisedByItsDescriptionPrefixOnUnavailableOnly() {
    assertThat(
            GrpcFailures.classify(Status.UNAVAILABLE.withDescription("NOT_ACTIVE: b is standby")))
        .isEqualTo(FailureKind.NOT_ACTIVE);
    assertThat(GrpcFailures.classify(Status.INTERNAL.withDescription("NOT_ACTIVE")))
        .isEqualTo(FailureKind.SERVER_ERROR);
    assertThat(
            GrpcFailures.neverProcessed(
                Status.UNAVAILABLE.withDescription("NOT_ACTIVE"), new Metadata()))
        .isTrue();
  }

  @Test
  void connectionRefusedSeenByTheTransportProvesNothingRanButAResetDoesNot() {
    Status refused =
        Status.UNAVAILABLE
            .withDescription("io exception")
            .withCause(new IOException(new ConnectException("Connection refused")));
    assertThat(GrpcFailures.neverProcessed(refused, new Metadata())).isTrue();
    assertThat(
            GrpcFailures.neverProcessed(
                Status.UNAVAILABLE.withDescription("Connection reset"), new Metadata()))
        .isFalse();
    assertThat(
            GrpcFailures.neverProcessed(
                Status.INTERNAL.withCause(new ConnectException()), new Metadata()))
        .isFalse();
  }

  // Review finding 12: "connection refused" in a description the server wrote counted as proof
  // that the request never ran, so a write was retried after it had run.
  @Test
  void textTheServerWroteIsNeverTakenAsProofThatNothingRan() {
    assertThat(
            GrpcFailures.neverProcessed(
                Status.UNAVAILABLE.withDescription("db: Connection refused"), new Metadata()))
        .isFalse();
    assertThat(
            GrpcFailures.neverProcessed(
                Status.UNAVAILABLE.withDescription("REFUSED_STREAM"), new Metadata()))
        .isFalse();
  }

  @Test
  void pushbackFollowsGrfcA6() {
    Metadata m = new Metadata();
    assertThat(GrpcFailures.pushback(m)).isEmpty();
    m.put(GrpcFailures.RETRY_PUSHBACK_MS, "250");
    assertThat(GrpcFailures.pushback(m)).contains(Duration.ofMillis(250));
    Metadata negative = new Metadata();
    negative.put(GrpcFailures.RETRY_PUSHBACK_MS, "-5");
    assertThat(GrpcFailures.pushback(negative).orElseThrow()).isNegative();
    Metadata garbage = new Metadata();
    garbage.put(GrpcFailures.RETRY_PUSHBACK_MS, "soon");
    assertThat(GrpcFailures.pushback(garbage).orElseThrow()).isNegative();
  }
}
