package dev.lifeline.chaos.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.testing.HistoryChecker.Ack;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The failover measurement as tables; acks are written {@code token@ackedNanos}. */
class FailoverTest {

  @ParameterizedTest(name = "[{index}] {0}: {6}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # kind             | acks                      | before | fault | healed | failover | why
          ACTIVE_KILL        | 1@5 1@9 2@40 2@50         | 1      | 10    | 60     | 30       | the first new token, after the fault
          ACTIVE_PAUSE       | 2@8 1@9 3@70 2@80         | 1      | 10    | 100    | 60       | a token above before, acked before the fault, does not count
          GRACEFUL_STOP      | 2@50 2@30                 | 1      | 10    | 60     | 20       | the earliest, whatever the list order
          ACTIVE_CUT_OFF     | 1@20 1@30                 | 1      | 10    | 60     | -1       | no new token: negative, shown as none
          NODE_SPLIT         | 1@20 1@30 1@80            | 1      | 10    | 100    | 50       | the longest gap between acks
          NODE_RESTART       | 1@15 1@20                 | 1      | 10    | 100    | 80       | the gap from the last ack to the heal
          STREAM_LEADER_KILL | 1@5 1@70                  | 1      | 10    | 100    | 60       | the gap from the fault to the first ack
          NODE_SPLIT         | ''                        | 1      | 10    | 100    | 90       | no ack at all: the whole stretch
          NODE_RESTART       | 2@150 1@5                 | 1      | 10    | 100    | 90       | acks outside the stretch do not count
          NODE_SPLIT         | 1@40 2@50                 | 1      | 10    | 60     | 30       | a new token does not matter to a fault that need not depose
          """)
  void theFailoverIsTimedByWhetherTheFaultDeposesTheActive(
      FaultKind kind,
      String acks,
      long tokenBefore,
      long fault,
      long healed,
      long failover,
      String why) {
    assertThat(Failover.nanos(kind, acks(acks), tokenBefore, fault, healed))
        .as(why)
        .isEqualTo(failover);
  }

  @ParameterizedTest(name = "[{index}] from {1} to {2} over [{0}]: {3}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # acks        | from | to  | longest
          1@10 1@20     | 0    | 30  | 10
          1@10 1@20     | 10   | 20  | 10
          1@20          | 0    | 20  | 20
          1@20 1@20     | 0    | 100 | 80
          ''            | 5    | 5   | 0
          """)
  void theLongestSilenceCountsBothEnds(String acks, long from, long to, long longest) {
    assertThat(Failover.longestSilence(acks(acks), from, to)).isEqualTo(longest);
  }

  @ParameterizedTest(name = "[{index}] above {1} after {2} in [{0}]: {3}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # acks           | token | fault | first
          3@30 2@20 1@10   | 1     | 0     | 20
          3@30 2@20 1@10   | 1     | 20    | 30
          3@30 2@20 1@10   | 3     | 0     | -1
          2@10             | 1     | 10    | 9
          """)
  void theFirstAckAboveATokenIsTheEarliestAfterTheFault(
      String acks, long token, long fault, long first) {
    assertThat(Failover.firstAckAbove(acks(acks), token, fault)).isEqualTo(first);
  }

  /** {@code "1@5 2@9"}: acks with token 1 at 5 ns and token 2 at 9 ns, each sent 1 ns before. */
  static List<Ack> acks(String text) {
    List<Ack> acks = new ArrayList<>();
    if (text.isBlank()) {
      return acks;
    }
    int n = 0;
    for (String a : text.trim().split("\\s+")) {
      String[] parts = a.split("@");
      long token = Long.parseLong(parts[0]);
      long acked = Long.parseLong(parts[1]);
      acks.add(new Ack("c", "r" + n++, "m" + token, token, acked - 1, acked));
    }
    return acks;
  }
}
