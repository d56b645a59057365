package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void defaultsRetryOnlyUnavailableAndNotActiveThreeAttempts() {
    RetryPolicy p = RetryPolicy.defaults();
    assertThat(p.maxAttempts()).isEqualTo(3);
    assertThat(p.retryOn())
        .containsExactlyInAnyOrder(FailureKind.UNAVAILABLE, FailureKind.NOT_ACTIVE);
    assertThat(p.idempotent()).as("the method decides").isEmpty();
    assertThat(p.honorPushback()).isTrue();
    assertThat(p.retryUntilDeadline()).isFalse();
    assertThat(p.perAttemptTimeout()).isEmpty();
    assertThat(RetryPolicy.noRetry().maxAttempts()).isEqualTo(1);
  }

  @Test
  void zeroMaxAttemptsIsRejectedWithFieldValueAndRange() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAttempts: 0 (expected: >= 1 and <= 100)");
  }

  @Test
  void callerErrorsCannotBeMadeRetryable() {
    assertThatThrownBy(() -> RetryPolicy.builder().retryOn(FailureKind.CALLER_ERROR))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("retryOn: CALLER_ERROR (expected: one of")
        .hasMessageContaining("never retried");
    assertThatThrownBy(() -> RetryPolicy.builder().retryOn(FailureKind.CANCELLED))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void nonPositivePerAttemptTimeoutIsRejected() {
    assertThatThrownBy(() -> RetryPolicy.builder().perAttemptTimeout(Duration.ZERO))
        .hasMessage("perAttemptTimeout: PT0S (expected: > 0 or null)");
  }

  @Test
  void toBuilderKeepsEveryFieldAndChangesOnlyWhatIsSet() {
    RetryPolicy p =
        RetryPolicy.builder()
            .maxAttempts(4)
            .retryOn(FailureKind.UNAVAILABLE, FailureKind.OVERLOADED)
            .perAttemptTimeout(Duration.ofSeconds(2))
            .idempotent(false)
            .honorPushback(false)
            .retryUntilDeadline(true)
            .build();
    assertThat(p.toBuilder().build()).isEqualTo(p);
    assertThat(p.toBuilder().build().retryUntilDeadline()).isTrue();
    RetryPolicy q = p.toBuilder().maxAttempts(2).build();
    assertThat(q.maxAttempts()).isEqualTo(2);
    assertThat(q.retryOn())
        .containsExactlyInAnyOrder(FailureKind.UNAVAILABLE, FailureKind.OVERLOADED);
    assertThat(q.idempotent()).contains(false);
  }

  @Test
  void failureKindsFollowTheSharedClassificationTable() {
    assertThat(FailureKind.UNAVAILABLE.isBreakerFailure()).isTrue();
    assertThat(FailureKind.TIMEOUT.isBreakerFailure()).isTrue();
    assertThat(FailureKind.OVERLOADED.isBreakerFailure()).isTrue();
    assertThat(FailureKind.SERVER_ERROR.isBreakerFailure()).isTrue();
    assertThat(FailureKind.CALLER_ERROR.isBreakerFailure()).isFalse();
    assertThat(FailureKind.CALLER_ERROR.isBreakerIgnored()).isFalse();
    assertThat(FailureKind.ABORTED.isBreakerFailure()).isFalse();
    assertThat(FailureKind.CANCELLED.isBreakerIgnored()).isTrue();
    assertThat(FailureKind.NOT_ACTIVE.isBreakerIgnored()).isTrue();
    assertThat(FailureKind.NOT_ACTIVE.chargesRetryBudget()).isFalse();
    assertThat(FailureKind.UNAVAILABLE.chargesRetryBudget()).isTrue();
  }
}
