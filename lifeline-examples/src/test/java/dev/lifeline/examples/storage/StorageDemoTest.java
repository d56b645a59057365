package dev.lifeline.examples.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StorageDemoTest {

  @Test
  void theWalkThroughTellsAnOutageFromAMissingWatermarkAndStopsSendingOnceOpen() throws Exception {
    List<String> lines = new ArrayList<>();
    StorageDemo.Result r = StorageDemo.run(lines::add);
    assertThat(r.firstRunEmpty()).isTrue();
    assertThat(r.storedWatermark()).isEqualTo(Instant.parse("2026-03-01T10:15:30Z"));
    // The window of 4 holds the two earlier successes, so two failed attempts (50 %) open it.
    assertThat(r.unavailableErrors()).isEqualTo(1);
    assertThat(r.breakerOpenErrors()).isEqualTo(3);
    assertThat(r.requestsSentWhileOpen()).isZero();
    assertThat(r.healthyDuringOutage()).isFalse();
    assertThat(lines).anyMatch(l -> l.contains("circuit_breaker_open"));
    assertThat(lines).anyMatch(l -> l.contains("\"timestamp\":\"2026-03-01T10:15:30Z\""));
  }
}
