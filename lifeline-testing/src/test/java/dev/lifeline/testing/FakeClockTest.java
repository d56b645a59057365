package dev.lifeline.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FakeClockTest {

  private final FakeClock clock = new FakeClock();

  @Test
  void aPeriodicTaskRunsOncePerPeriodInDeadlineOrder() {
    AtomicInteger runs = new AtomicInteger();
    clock.scheduler().scheduleAtFixedRate(runs::incrementAndGet, 1, 1, TimeUnit.SECONDS);

    clock.forward(Duration.ofMillis(3_500));

    assertThat(runs).hasValue(3);
  }

  @Test
  void cancellingAPeriodicTaskAfterItRanStopsItsLaterRuns() {
    AtomicInteger runs = new AtomicInteger();
    ScheduledFuture<?> f =
        clock.scheduler().scheduleAtFixedRate(runs::incrementAndGet, 1, 1, TimeUnit.SECONDS);
    clock.forward(Duration.ofMillis(1_500));

    assertThat(f.cancel(false)).isTrue();
    clock.forward(Duration.ofSeconds(5));

    assertThat(runs).hasValue(1);
    assertThat(f.isCancelled()).isTrue();
    assertThat(clock.pendingTasks()).isZero();
  }

  @Test
  void aPeriodicTaskThatThrowsRunsNoMore() {
    AtomicInteger runs = new AtomicInteger();
    ScheduledFuture<?> f =
        clock
            .scheduler()
            .scheduleAtFixedRate(
                () -> {
                  runs.incrementAndGet();
                  throw new IllegalStateException("boom");
                },
                1,
                1,
                TimeUnit.SECONDS);

    clock.forward(Duration.ofSeconds(5));

    assertThat(runs).hasValue(1);
    assertThat(f.isDone()).isTrue();
  }
}
