package dev.lifeline.active.nats;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad builder setting is refused with the field, the value and what was expected. */
class NatsLeaseStoreBuilderTest {

  static List<Arguments> badSettings() {
    return List.of(
        row(NatsLeaseStore::builder, "servers: [] (expected: >= 1 nats:// or tls:// URL)"),
        row(
            () -> NatsLeaseStore.builder("nats://a:1", "http://u:SECRET@x"),
            "server: 'http://***@x' (expected: nats://host:port or tls://host:port)"),
        row(
            () -> NatsLeaseStore.builder("nats://x").bucket("a.b"),
            "bucket: 'a.b' (expected: 1-64 of [A-Za-z0-9_-])"),
        row(
            () -> NatsLeaseStore.builder("nats://x").requestTimeout(Duration.ZERO),
            "requestTimeout: PT0S (expected: >= 10 ms and <= 30 s)"),
        row(
            () -> NatsLeaseStore.builder("nats://x").reconnectWait(Duration.ofMinutes(2)),
            "reconnectWait: PT2M (expected: >= 10 ms and <= 1 min)"),
        row(
            () -> NatsLeaseStore.builder("nats://x").pingInterval(Duration.ofMillis(49)),
            "pingInterval: PT0.049S (expected: >= 50 ms and <= 1 min)"),
        row(
            () -> NatsLeaseStore.builder("nats://x").userInfo("", "p".toCharArray()),
            "user: '' (expected: a non-empty user name)"),
        row(
            () -> NatsLeaseStore.builder("nats://x").token(new char[0]),
            "token: empty (expected: a non-empty token)"),
        row(
            () -> NatsLeaseStore.builder("nats://x").replicas(6),
            "replicas: 6 (expected: >= 1 and <= 5)"));
  }

  private static Arguments row(Supplier<?> setting, String message) {
    return Arguments.of(setting, message);
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badSettings")
  void aBadSettingIsRefusedNamingTheFieldTheValueAndTheExpectation(
      Supplier<?> setting, String message) {
    assertThatThrownBy(setting::get)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message);
  }
}
