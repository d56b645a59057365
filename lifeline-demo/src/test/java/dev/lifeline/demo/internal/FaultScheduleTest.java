package dev.lifeline.demo.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fault schedule's rules, as tables. */
class FaultScheduleTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                     | endMillis | percent | at
          the item restart at 15 % of a minute      | 60000     | 15      | 9000
          the crash at 35 % of a minute             | 60000     | 35      | 21000
          the handover at 55 % of a minute          | 60000     | 55      | 33000
          the storage burst at 70 % of a minute     | 60000     | 70      | 42000
          a short run rounds down                   | 999       | 15      | 149
          """)
  void eachFaultStartsAtItsShareOfTheRun(String why, long endMillis, int percent, long at) {
    assertThat(FaultSchedule.at(endMillis, percent)).isEqualTo(at);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                                              | servedAt | by   | t0   | old  | recovered
          another member served after the fault             | 1500     | o-2  | 1000 | o-1  | true
          another member served exactly at the fault        | 1000     | o-2  | 1000 | o-1  | true
          the old member's late answer does not count       | 1500     | o-1  | 1000 | o-1  | false
          an order served before the fault does not count   | 900      | o-2  | 1000 | o-1  | false
          nothing served yet                                | -1       | -    | 1000 | o-1  | false
          """)
  void theGroupRecoveredOnlyWhenAnotherMemberServedSinceTheFault(
      String why, long servedAt, String by, long t0, String old, boolean recovered) {
    assertThat(FaultSchedule.servedByAnother(new Demo.Served(servedAt, by), t0, old))
        .isEqualTo(recovered);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # why                               | from | at   | ms
          recovered 250 ms later              | 1000 | 1250 | 250
          recovered at once                   | 1000 | 1000 | 0
          never recovered                     | 1000 | -1   | -1
          """)
  void aRecoveryIsMeasuredFromItsStartOrIsMinusOne(String why, long from, long at, long ms) {
    assertThat(FaultSchedule.recoveryMs(from, at)).isEqualTo(ms);
  }
}
