package dev.lifeline.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NatsClusterTest {

  private static NatsCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = NatsCluster.start(3);
    try (Connection c = connect(cluster.directUrls())) {
      // JetStream elects its meta leader after the routes are up: retry until the stream exists.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(
              () ->
                  c.jetStreamManagement()
                          .addStream(
                              StreamConfiguration.builder()
                                  .name("T")
                                  .subjects("t")
                                  .storageType(StorageType.File)
                                  .replicas(3)
                                  .build())
                      != null);
    }
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static Connection connect(List<String> urls) throws Exception {
    return Nats.connect(
        Options.builder()
            .servers(urls.toArray(String[]::new))
            .maxReconnects(-1)
            .connectionTimeout(Duration.ofSeconds(2))
            .errorListener(new io.nats.client.ErrorListener() {})
            .build());
  }

  /** Whether a replicated publish through {@code c} commits within 500 ms. */
  private static boolean commits(Connection c) {
    try {
      c.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofMillis(500)).build())
          .publish("t", new byte[] {1});
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void anIsolatedNodeCannotCommitWhileTheOtherTwoCanAndCatchesUpAfterRejoining() throws Exception {
    try (Connection lone = connect(List.of(cluster.node(0).url()));
        Connection majority = connect(List.of(cluster.node(1).url()))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> commits(lone) && commits(majority));

      cluster.isolate(0);
      // If the lone node led the stream, the majority commits again once it elected a new leader.
      await().atMost(Duration.ofSeconds(30)).until(() -> commits(majority));
      assertThat(commits(lone)).as("no quorum behind the lone node").isFalse();

      cluster.rejoin(0);
      await().atMost(Duration.ofSeconds(30)).until(() -> commits(lone));
    }
  }

  @Test
  void aCutClientLinkGoesSilentForThatClientOnlyAndHealingLetsItReconnect() throws Exception {
    NatsCluster.ClientLinks links = cluster.clientLinks("test");
    try (Connection viaLinks =
            Nats.connect(
                Options.builder()
                    .servers(links.urls().toArray(String[]::new))
                    .maxReconnects(-1)
                    .pingInterval(Duration.ofMillis(200))
                    .maxPingsOut(2)
                    .connectionTimeout(Duration.ofMillis(500))
                    .reconnectWait(Duration.ofMillis(100))
                    .errorListener(new io.nats.client.ErrorListener() {})
                    .build());
        Connection other = connect(cluster.directUrls())) {
      await().atMost(Duration.ofSeconds(30)).until(() -> commits(viaLinks));

      links.cut();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> viaLinks.getStatus() != Connection.Status.CONNECTED);
      assertThat(commits(viaLinks)).isFalse();
      assertThat(commits(other)).as("other clients are not cut").isTrue();

      links.heal();
      await().atMost(Duration.ofSeconds(30)).until(() -> commits(viaLinks));
    }
  }

  @Test
  void aKilledNodeRestartsOnItsPortsAndStoreAndTheClusterCommitsThroughIt() throws Exception {
    NatsCluster.Node node = cluster.node(2);
    node.kill();
    assertThat(node.isRunning()).isFalse();
    node.start();
    node.awaitAccepting(Duration.ofSeconds(20));
    try (Connection c = connect(List.of(node.url()))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> commits(c));
    }
  }
}
