package dev.lifeline.chaos.internal;

import static dev.lifeline.chaos.internal.FailoverTest.acks;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.testing.HistoryChecker.Ack;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The steady-state decisions as tables; acks are written {@code token@ackedNanos}. */
class SteadyStateTest {

  @ParameterizedTest(name = "[{index}] {4}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # nodes run | leader | replicas (name:current:offline) | healthy | why
          true        | n0     | n1:true:false n2:true:false     | true    | a leader and every replica current
          false       | n0     | n1:true:false n2:true:false     | false   | a node is down
          true        | ''     | n1:true:false n2:true:false     | false   | no leader
          true        | n0     | n1:true:false                   | false   | a replica is missing
          true        | n0     | n1:true:false n2:false:false    | false   | a replica is behind
          true        | n0     | n1:true:false n2:true:true      | false   | a replica is offline
          true        | n0     | ''                              | false   | no replica at all
          """)
  void theStreamIsHealthyOnlyWithALeaderAndEveryReplicaCurrent(
      boolean nodesRun, String leader, String replicas, boolean healthy, String why) {
    assertThat(
            SteadyState.streamHealthy(
                nodesRun, 3, leader.isEmpty() ? null : leader, replicas(replicas)))
        .as(why)
        .isEqualTo(healthy);
  }

  @ParameterizedTest(name = "[{index}] {4}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # acks                 | top token | since | serving | why
          2@300000001            | 2         | 0     | true    | the top token acknowledged more than 200 ms later
          2@200000000            | 2         | 0     | false   | exactly 200 ms is not enough
          1@900000000            | 2         | 0     | false   | an older token does not show the active serving
          ''                     | 2         | 0     | false   | nothing acknowledged
          2@900000000            | -1        | 0     | false   | no top acknowledgement yet
          """)
  void theGroupServesOnceTheTopTokenIsAcknowledgedWellAfterTheWaitBegan(
      String acks, long topToken, long since, boolean serving, String why) {
    Ack top = topToken < 0 ? null : new Ack("c", "top", "m", topToken, 0, 0);
    assertThat(SteadyState.serving(acks(acks), top, since)).as(why).isEqualTo(serving);
  }

  @ParameterizedTest(name = "[{index}] {0} newer acks after the match: {1}")
  @CsvSource({"49, true", "50, false"})
  void onlyTheLatestAcksAreSearched(int newerAcks, boolean serving) {
    List<Ack> acks = new ArrayList<>();
    acks.add(new Ack("c", "match", "m", 2, 0, 300_000_001L));
    for (int i = 0; i < newerAcks; i++) {
      acks.add(new Ack("c", "old" + i, "m", 1, 0, 300_000_002L));
    }
    Ack top = new Ack("c", "top", "m", 2, 0, 0);
    assertThat(SteadyState.serving(acks, top, 0)).isEqualTo(serving);
  }

  @ParameterizedTest(name = "[{index}] latest sent at {0}, fault at {1}: {2}")
  @CsvSource({"10, 5, true", "5, 5, false", "4, 5, false"})
  void aCallSentAfterTheFaultIsServedWhenTheLatestAckWasSentAfterIt(
      long latestSent, long fault, boolean served) {
    List<Ack> acks =
        List.of(new Ack("c", "a", "m", 1, 100, 101), new Ack("c", "b", "m", 1, latestSent, 200));
    assertThat(SteadyState.servedCallSentAfter(acks, fault)).isEqualTo(served);
  }

  @org.junit.jupiter.api.Test
  void noAckMeansNoCallServedAfterTheFault() {
    assertThat(SteadyState.servedCallSentAfter(List.of(), 0)).isFalse();
  }

  private static List<SteadyState.Replica> replicas(String text) {
    List<SteadyState.Replica> out = new ArrayList<>();
    if (text.isBlank()) {
      return out;
    }
    for (String r : text.trim().split("\\s+")) {
      String[] p = r.split(":");
      out.add(
          new SteadyState.Replica(p[0], Boolean.parseBoolean(p[1]), Boolean.parseBoolean(p[2])));
    }
    return out;
  }
}
