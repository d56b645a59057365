package dev.lifeline.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.testing.HistoryChecker.Ack;
import dev.lifeline.testing.HistoryChecker.Verdict;
import dev.lifeline.testing.HistoryChecker.Write;
import org.junit.jupiter.api.Test;

class HistoryCheckerTest {

  private final HistoryChecker checker = new HistoryChecker();

  private void accepted(String member, long token, String id, long start, long end) {
    checker.write(new Write(member, token, id, start, end, true));
  }

  @Test
  void aCleanHandoverWithConcurrentCallsOfOneTenureIsCorrect() {
    accepted("a", 1, "r1", 0, 10);
    accepted("a", 1, "r2", 5, 12);
    checker.write(new Write("a", 1, "late", 20, 40, false)); // rejected: not an effect
    accepted("b", 2, "r3", 30, 35);
    checker.ack(new Ack("c1", "r1", "a", 1, 0, 11));
    checker.ack(new Ack("c1", "r3", "b", 2, 25, 36));

    Verdict v = checker.check();

    assertThat(v.ok()).as("%s", v).isTrue();
    assertThat(v.acceptedWrites()).isEqualTo(3);
    assertThat(v.acknowledgedCalls()).isEqualTo(2);
  }

  @Test
  void twoTokensWhoseWindowsOverlapCountOnceAsOnePair() {
    accepted("a", 1, "r1", 0, 10);
    accepted("b", 2, "r2", 5, 15);
    accepted("b", 2, "r3", 6, 16);

    Verdict v = checker.check();

    assertThat(v.overlappingWindows()).isEqualTo(1);
    assertThat(v.examples()).anyMatch(e -> e.startsWith("overlap: b token 2"));
  }

  @Test
  void anAcceptedWriteBelowTheHighestTokenIsStale() {
    accepted("b", 2, "r1", 0, 1);
    accepted("a", 1, "r2", 2, 3);

    assertThat(checker.check().staleWritesAccepted()).isEqualTo(1);
  }

  @Test
  void aClientSeeingALowerTokenLaterIsADecrease() {
    accepted("a", 2, "r1", 0, 1);
    accepted("a", 1, "r2", 2, 3);
    checker.ack(new Ack("c1", "r1", "a", 2, 0, 1));
    checker.ack(new Ack("c1", "r2", "a", 1, 2, 3));
    checker.ack(new Ack("c2", "r2", "a", 1, 2, 3));

    assertThat(checker.check().tokenDecreases()).isEqualTo(1);
  }

  @Test
  void anAcknowledgedCallWithoutItsAcceptedWriteIsLost() {
    checker.write(new Write("a", 1, "r1", 0, 1, false));
    accepted("a", 1, "r2", 0, 1);
    checker.ack(new Ack("c1", "r1", "a", 1, 0, 2));
    checker.ack(new Ack("c1", "r2", "a", 7, 0, 2));

    assertThat(checker.check().lostAcknowledgedWrites()).as("wrong token counts too").isEqualTo(2);
  }
}
