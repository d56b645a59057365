package dev.lifeline.active.nats.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.Mirror;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The bucket check as a table: each harmful setting alone, named in the problem it causes. */
class BucketRulesTest {

  /** The bucket the store creates itself: no problems. */
  private static StreamConfiguration good(int replicas) {
    StreamConfiguration kv =
        KeyValueConfiguration.builder()
            .name("leases")
            .maxHistoryPerKey(1)
            .storageType(StorageType.File)
            .replicas(replicas)
            .build()
            .getBackingConfig();
    return StreamConfiguration.builder(kv).allowDirect(replicas == 1).build();
  }

  static List<Arguments> harmful() {
    return List.of(
        Arguments.of(
            "history",
            (UnaryOperator<StreamConfiguration.Builder>) b -> b.maxMessagesPerSubject(5),
            "history: 5 (expected: 1)"),
        Arguments.of(
            "max age",
            (UnaryOperator<StreamConfiguration.Builder>) b -> b.maxAge(Duration.ofSeconds(1)),
            "max age: PT1S (expected: none"),
        Arguments.of(
            "memory",
            (UnaryOperator<StreamConfiguration.Builder>) b -> b.storageType(StorageType.Memory),
            "storage: Memory (expected: File"),
        Arguments.of(
            "direct get on replicas",
            (UnaryOperator<StreamConfiguration.Builder>) b -> b.replicas(3).allowDirect(true),
            "direct get: on with 3 replicas (expected: off"),
        Arguments.of(
            "mirror",
            (UnaryOperator<StreamConfiguration.Builder>)
                b -> b.mirror(Mirror.builder().name("KV_other").build()),
            "mirror or sources: set"),
        Arguments.of(
            "discard old with limits",
            (UnaryOperator<StreamConfiguration.Builder>)
                b -> b.discardPolicy(DiscardPolicy.Old).maxBytes(1_000_000),
            "discard: Old with a size or message limit"),
        Arguments.of(
            "tiny values",
            (UnaryOperator<StreamConfiguration.Builder>) b -> b.maximumMessageSize(100),
            "max value size: 100 (expected: unlimited or >= 1024)"),
        Arguments.of(
            "message TTL",
            (UnaryOperator<StreamConfiguration.Builder>) b -> b.allowMessageTtl(),
            "per-message TTL: allowed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("harmful")
  void aHarmfulSettingIsNamedWithWhatItBreaks(
      String name, UnaryOperator<StreamConfiguration.Builder> change, String expected) {
    StreamConfiguration bad = change.apply(StreamConfiguration.builder(good(1))).build();
    assertThat(BucketRules.problems(bad)).singleElement().asString().startsWith(expected);
  }

  @Test
  void theBucketsTheStoreCreatesPass() {
    assertThat(BucketRules.problems(good(1))).isEmpty();
    assertThat(BucketRules.problems(good(3))).as("replicated, direct gets off").isEmpty();
  }

  @Test
  void theEpochIsTheCreationTimeInMicroseconds() {
    assertThat(BucketRules.epoch(ZonedDateTime.parse("1970-01-01T00:00:01.000002999Z")))
        .isEqualTo(1_000_002L);
  }

  // Chaos run finding: on nats-server 2.9.10 with 3 replicas two standbys both won a released
  // lease (nats-server#4320). The store now says so when it opens such a bucket.
  @ParameterizedTest
  @MethodSource("serverVersions")
  void aReplicatedBucketOnAServerWithoutSerializableCompareAndSetIsWarnedAbout(
      String version, int replicas, boolean warned) {
    assertThat(BucketRules.serverWarning(version, replicas).isPresent()).isEqualTo(warned);
  }

  static List<Arguments> serverVersions() {
    return List.of(
        Arguments.of("2.9.10", 3, true),
        Arguments.of("2.9.20", 3, true),
        Arguments.of("2.8.4", 3, true),
        Arguments.of("v2.9.10", 3, true),
        Arguments.of("2.9.21", 3, false),
        Arguments.of("2.10.0", 3, false),
        Arguments.of("2.11.3-beta", 3, false),
        Arguments.of("3.0.0", 3, false),
        Arguments.of("2.9.10", 1, false),
        Arguments.of("unknown", 3, false),
        Arguments.of(null, 3, false));
  }

  @Test
  void theWarningNamesTheVersionTheReplicasTheServerIssueAndTheFix() {
    assertThat(BucketRules.serverWarning("2.9.10", 3).orElseThrow())
        .contains("2.9.10", "3 replicas", "nats-server#4320", "2.9.21");
  }
}
