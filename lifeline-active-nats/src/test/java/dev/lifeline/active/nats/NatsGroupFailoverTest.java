package dev.lifeline.active.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifeline.active.AbstractGroupFailoverTest;
import dev.lifeline.active.GroupCluster;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.active.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The group failover tests on a real nats-server, each member with its own connection, plus the
 * server stopped and restarted under load.
 */
class NatsGroupFailoverTest extends AbstractGroupFailoverTest {

  private static NatsServerProcess nats;
  private static int bucketCounter;
  private final String bucket = "t" + (++bucketCounter) + "_" + System.nanoTime();

  @BeforeAll
  static void startNats() {
    nats = NatsServerProcess.start();
  }

  @AfterAll
  static void stopNats() {
    if (nats != null) {
      nats.close();
    }
  }

  @Override
  protected LeaseStore newStore() {
    return NatsLeaseStore.builder(nats.url())
        .bucket(bucket)
        .requestTimeout(Duration.ofMillis(300))
        .reconnectWait(Duration.ofMillis(100))
        .build();
  }

  @Test
  void natsServerStoppedAndRestartedNeverGivesTwoActives() {
    startProber();
    GroupCluster.Node old = cluster.active().orElseThrow();
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.checker.size() > 0);
    // Sample roles continuously: at no instant may two members claim ACTIVE.
    AtomicBoolean sampling = new AtomicBoolean(true);
    List<String> doubles = new ArrayList<>();
    Thread sampler =
        new Thread(
            () -> {
              long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
              while (sampling.get() && System.nanoTime() < end) {
                List<String> active =
                    cluster.live().stream()
                        .filter(n -> n.member.isActive())
                        .map(n -> n.id)
                        .toList();
                if (active.size() > 1) {
                  doubles.add(active.toString());
                }
                Thread.onSpinWait();
              }
            });
    sampler.start();
    try {
      nats.stop();
      // Without the store nobody can renew: the active steps down at its local deadline.
      await().atMost(Duration.ofSeconds(5)).until(() -> !old.member.isActive());
      // isActive() turns false at the deadline itself, the role a moment later when the
      // scheduled step-down runs: wait for that moment rather than race it.
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> cluster.live().stream().allMatch(n -> n.member.role() == Role.STANDBY));
      nats.startProcess();
      await().atMost(Duration.ofSeconds(15)).until(() -> cluster.active().isPresent());
      int before = cluster.checker.size();
      await().atMost(Duration.ofSeconds(10)).until(() -> cluster.checker.size() > before + 5);
    } finally {
      sampling.set(false);
    }
    assertThat(doubles).isEmpty();
    cluster.checker.assertNoOverlap();
  }
}
