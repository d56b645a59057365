package dev.lifeline.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.core.Backoff;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChannelOptionsTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    ChannelOptions o = ChannelOptions.defaults();
    assertThat(o.keepAliveTime()).isEqualTo(Duration.ofMinutes(5));
    assertThat(o.keepAliveTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(o.keepAliveWithoutCalls()).isFalse();
    assertThat(o.maxInboundMessageSize()).isEqualTo(10 * 1024 * 1024);
    assertThat(o.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(o.defaultDeadline()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.reconnectBackoff().initial()).isEqualTo(Duration.ofMillis(50));
    assertThat(o.reconnectBackoff().max()).isEqualTo(Duration.ofMillis(150));
    assertThat(o.reconnectBackoff().multiplier()).isEqualTo(1.6);
    assertThat(o.connectWait()).isEqualTo(Duration.ofSeconds(1));
    assertThat(o.escapeHatchThreshold()).isEqualTo(10);
    assertThat(o.shutdownGrace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(o.linger()).isEqualTo(Duration.ofSeconds(60));
  }

  static Stream<Arguments> keepAliveTable() {
    ChannelOptions defaults = ChannelOptions.defaults();
    ChannelOptions frequent = ChannelOptions.builder().frequentKeepAlive().build();
    Duration grpcDefault = Duration.ofMinutes(5);
    return Stream.of(
        // options, server permitKeepAliveTime, server permits pings without calls, accepted
        Arguments.of(
            "defaults, default grpc-java/grpc-go server", defaults, grpcDefault, false, true),
        Arguments.of("frequent profile, default server", frequent, grpcDefault, false, false),
        Arguments.of(
            "frequent profile, server set as documented",
            frequent,
            Duration.ofSeconds(30),
            true,
            true),
        Arguments.of(
            "frequent profile, server permits 30 s but not without calls",
            frequent,
            Duration.ofSeconds(30),
            false,
            false),
        Arguments.of("defaults, stricter server", defaults, Duration.ofMinutes(10), true, false));
  }

  // Review finding 14: pings every 30 s, also without calls, made a default grpc server send
  // GOAWAY too_many_pings and kill the connection with its calls, again and again.
  @ParameterizedTest(name = "{0}")
  @MethodSource("keepAliveTable")
  void keepaliveIsAcceptedOnlyByServersThatPermitIt(
      String name,
      ChannelOptions options,
      Duration permitTime,
      boolean permitWithoutCalls,
      boolean accepted) {
    assertThat(options.keepAliveAcceptedBy(permitTime, permitWithoutCalls)).isEqualTo(accepted);
  }

  @Test
  void zeroAndNegativeDurationsAreRejectedNamingTheField() {
    ChannelOptions.Builder b = ChannelOptions.builder();
    assertThatThrownBy(() -> b.keepAliveTime(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keepAliveTime: PT0S (expected: > 0)");
    assertThatThrownBy(() -> b.keepAliveTimeout(Duration.ofSeconds(-1)))
        .hasMessageStartingWith("keepAliveTimeout: PT-1S");
    assertThatThrownBy(() -> b.idleTimeout(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("idleTimeout");
    assertThatThrownBy(() -> b.defaultDeadline(Duration.ofMillis(-5)))
        .hasMessageStartingWith("defaultDeadline:");
    assertThatThrownBy(() -> b.shutdownGrace(Duration.ZERO))
        .hasMessageStartingWith("shutdownGrace:");
    assertThatThrownBy(() -> b.connectWait(Duration.ofMillis(-1)))
        .hasMessage("connectWait: PT-0.001S (expected: >= 0)");
    assertThatThrownBy(() -> b.linger(Duration.ofMillis(-1)))
        .hasMessage("linger: PT-0.001S (expected: >= 0)");
  }

  @Test
  void zeroAndNegativeSizesAndSchedulesAreRejectedNamingTheField() {
    ChannelOptions.Builder b = ChannelOptions.builder();
    assertThatThrownBy(() -> b.maxInboundMessageSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInboundMessageSize: 0 (expected: >= 1)");
    assertThatThrownBy(() -> b.escapeHatchThreshold(0))
        .hasMessage("escapeHatchThreshold: 0 (expected: >= 1)");
    assertThatThrownBy(
            () ->
                b.reconnectBackoff(
                    Backoff.exponential(Duration.ofMillis(1), Duration.ofSeconds(1))))
        .hasMessageStartingWith("reconnectBackoff: exponential(PT0.001S..PT1S")
        .hasMessageEndingWith("(expected: initial >= 10 ms)");
  }

  @Test
  void equalOptionsAreEqualAndToBuilderRoundTrips() {
    ChannelOptions a = ChannelOptions.builder().defaultDeadline(Duration.ofSeconds(3)).build();
    ChannelOptions b = ChannelOptions.builder().defaultDeadline(Duration.ofSeconds(3)).build();
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.toBuilder().build()).isEqualTo(a);
    assertThat(a).isNotEqualTo(ChannelOptions.defaults());
  }
}
