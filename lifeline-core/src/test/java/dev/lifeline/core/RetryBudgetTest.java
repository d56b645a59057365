package dev.lifeline.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

  private final ManualTime time = new ManualTime();

  @Test
  void retriesStayWithinTwentyPercentOfCallsWithoutFloor() {
    RetryBudget budget = RetryBudget.builder().minRetriesPerSecond(0).ticker(time).build();
    int allowed = 0;
    for (int i = 0; i < 1000; i++) {
      budget.onCall();
      for (int r = 0; r < 2; r++) {
        if (budget.tryRetry()) {
          allowed++;
        }
      }
    }
    assertThat(allowed).isEqualTo(200);
    assertThat(budget.rejections()).isEqualTo(2000 - 200);
  }

  @Test
  void reserveAllowsAFewRetriesWithoutTraffic() {
    RetryBudget budget =
        RetryBudget.builder()
            .minRetriesPerSecond(1)
            .window(Duration.ofSeconds(10))
            .ticker(time)
            .build();
    int allowed = 0;
    for (int i = 0; i < 50; i++) {
      if (budget.tryRetry()) {
        allowed++;
      }
    }
    assertThat(allowed).isEqualTo(10);
  }

  @Test
  void withdrawalsExpireAfterTheWindow() {
    RetryBudget budget =
        RetryBudget.builder()
            .minRetriesPerSecond(1)
            .window(Duration.ofSeconds(10))
            .ticker(time)
            .build();
    while (budget.tryRetry()) {
      // drain the reserve
    }
    assertThat(budget.tryRetry()).isFalse();
    time.forward(Duration.ofSeconds(11));
    assertThat(budget.tryRetry()).isTrue();
  }

  @Test
  void unlimitedNeverRefuses() {
    for (int i = 0; i < 1000; i++) {
      assertThat(RetryBudget.unlimited().tryRetry()).isTrue();
    }
  }
}
