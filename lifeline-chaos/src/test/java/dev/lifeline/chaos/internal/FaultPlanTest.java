package dev.lifeline.chaos.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fault schedule: what each kind holds and hits, and that a seed names one schedule. */
class FaultPlanTest {

  private static final Duration TTL = Duration.ofSeconds(2);

  @ParameterizedTest(name = "{0} holds {1}..{2} ms and hits node {3}..{4}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # kind             | min hold | max hold | min node | max node
          ACTIVE_KILL        | 0        | 0        | -1       | -1
          ACTIVE_PAUSE       | 3000     | 3499     | -1       | -1
          GRACEFUL_STOP      | 0        | 0        | -1       | -1
          STREAM_LEADER_KILL | 0        | 0        | -1       | -1
          ACTIVE_CUT_OFF     | 0        | 0        | -1       | -1
          NODE_SPLIT         | 4000     | 4999     | 0        | 2
          NODE_RESTART       | 0        | 0        | 0        | 2
          """)
  void eachKindHoldsAndHitsWhatItsPlanSays(
      FaultKind kind, long minHold, long maxHold, int minNode, int maxNode) {
    for (long seed = 0; seed < 200; seed++) {
      FaultPlan plan = FaultPlan.of(kind, TTL, 3, new Random(seed));

      assertThat(plan.kind()).isEqualTo(kind);
      assertThat(plan.hold().toMillis()).isBetween(minHold, maxHold);
      assertThat(plan.node()).isBetween(minNode, maxNode);
    }
  }

  @ParameterizedTest(name = "{0} draws {1} value(s) from the seed")
  @CsvSource({
    "ACTIVE_KILL, 0",
    "ACTIVE_PAUSE, 1",
    "GRACEFUL_STOP, 0",
    "STREAM_LEADER_KILL, 0",
    "ACTIVE_CUT_OFF, 0",
    "NODE_SPLIT, 2",
    "NODE_RESTART, 1"
  })
  void eachKindDrawsOnlyWhatItNeedsSoTheFaultsAfterItKeepTheirDraws(FaultKind kind, int draws) {
    Random planned = new Random(7);
    FaultPlan.of(kind, TTL, 3, planned);
    Random counted = new Random(7);
    for (int i = 0; i < draws; i++) {
      counted.nextInt(1_000);
    }

    assertThat(planned.nextLong()).isEqualTo(counted.nextLong());
  }

  @Test
  void theSplitPicksTheNodeBeforeTheHoldAsTheRunAlwaysHas() {
    Random r = new Random(11);
    int node = r.nextInt(3);
    long extra = r.nextInt(1_000);

    FaultPlan plan = FaultPlan.of(FaultKind.NODE_SPLIT, TTL, 3, new Random(11));

    assertThat(plan.node()).isEqualTo(node);
    assertThat(plan.hold()).isEqualTo(TTL.multipliedBy(2).plusMillis(extra));
  }

  @Test
  void aSeedNamesOneSchedule() {
    assertThat(FaultPlan.schedule(100, TTL, 3, new Random(16)))
        .isEqualTo(FaultPlan.schedule(100, TTL, 3, new Random(16)))
        .isNotEqualTo(FaultPlan.schedule(100, TTL, 3, new Random(17)));
  }

  @ParameterizedTest(name = "{0} faults")
  @CsvSource({"1", "7", "8", "100"})
  void everySevenFaultsFromTheStartCoverEveryKind(int count) {
    for (long seed : LongStream.range(0, 50).toArray()) {
      List<FaultPlan> plans = FaultPlan.schedule(count, TTL, 3, new Random(seed));

      assertThat(plans).hasSize(count);
      for (int from = 0; from + 7 <= count; from += 7) {
        EnumSet<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
        plans.subList(from, from + 7).forEach(p -> kinds.add(p.kind()));
        assertThat(kinds).as("faults %d..%d, seed %d", from + 1, from + 7, seed).hasSize(7);
      }
    }
  }
}
