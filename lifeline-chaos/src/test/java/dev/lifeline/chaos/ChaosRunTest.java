package dev.lifeline.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.chaos.internal.ChaosReport;
import dev.lifeline.chaos.internal.ChaosRun;
import dev.lifeline.chaos.internal.FaultKind;
import dev.lifeline.testing.HistoryChecker;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The short chaos run of the build: 8 faults covering every kind, against real member processes and
 * a real 3-node NATS cluster, so the harness cannot rot. The full run is {@code ./lifeline chaos}.
 */
class ChaosRunTest {

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void eightFaultsOfEveryKindLeaveNoOverlapNoStaleWriteNoLostWriteAndNoFailedCall()
      throws Exception {
    ChaosReport report;
    try (ChaosRun run = new ChaosRun(ChaosRun.Config.defaults().with(8, 16), System.out)) {
      report = run.run();
      report.print(System.out);
      HistoryChecker.Verdict v = report.verdict();

      assertThat(report.recovered()).as("the group recovered from every fault").isTrue();
      assertThat(report.failovers()).isEqualTo(8);
      assertThat(report.perKind().keySet()).containsExactlyInAnyOrder(FaultKind.values());
      assertThat(v.overlappingWindows()).as("overlaps: %s", v.examples()).isZero();
      assertThat(v.staleWritesAccepted()).as("stale: %s", v.examples()).isZero();
      assertThat(v.tokenDecreases()).as("decreases: %s", v.examples()).isZero();
      assertThat(v.lostAcknowledgedWrites()).as("lost: %s", v.examples()).isZero();
      assertThat(v.acknowledgedCalls()).as("the load really ran").isGreaterThan(500);
      assertThat(report.failedCalls())
          .as("calls whose 30 s deadline covers every failover: %s", report.failureExamples())
          .isZero();
      run.deleteLogs();
    }
    Map<String, Object> json = report.toMap();
    assertThat(json).containsKeys("scenario", "environment", "figures", "counts");
    assertThat(asMap(json.get("counts")))
        .containsKeys(
            "overlapping_active_windows",
            "stale_writes_accepted",
            "lost_acknowledged_writes",
            "failovers");
    assertThat(asMap(json.get("figures")))
        .containsKeys("active_kill_p99_ms", "node_split_p99_ms", "stream_leader_kill_p99_ms");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) {
    return (Map<String, Object>) o;
  }
}
