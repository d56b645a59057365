package dev.lifeline.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ChannelOptionsTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    // isa_common bug: keepalive_permit_without_calls=0 let idle channels die; ours keeps them warm.
    ChannelOptions o = ChannelOptions.defaults();
    assertThat(o.keepAliveTime()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.keepAliveTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(o.keepAliveWithoutCalls()).isTrue();
    assertThat(o.maxInboundMessageSize()).isEqualTo(10 * 1024 * 1024);
    assertThat(o.idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(o.defaultDeadline()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.reconnectBackoffInitial()).isEqualTo(Duration.ofMillis(50));
    assertThat(o.reconnectBackoffMax()).isEqualTo(Duration.ofMillis(150));
    assertThat(o.reconnectBackoffMultiplier()).isEqualTo(1.6);
    assertThat(o.reconnectBackoffJitter()).isEqualTo(0.2);
    assertThat(o.escapeHatchThreshold()).isEqualTo(10);
    assertThat(o.shutdownGrace()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void zeroAndNegativeDurationsAreRejectedNamingTheField() {
    ChannelOptions.Builder b = ChannelOptions.builder();
    assertThatThrownBy(() -> b.keepAliveTime(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keepAliveTime: PT0S (expected: > 0)");
    assertThatThrownBy(() -> b.keepAliveTimeout(Duration.ofSeconds(-1)))
        .hasMessageStartingWith("keepAliveTimeout: PT-1S");
    assertThatThrownBy(() -> b.idleTimeout(null)).hasMessageStartingWith("idleTimeout: null");
    assertThatThrownBy(() -> b.defaultDeadline(Duration.ofMillis(-5)))
        .hasMessageStartingWith("defaultDeadline:");
    assertThatThrownBy(() -> b.reconnectBackoffInitial(Duration.ZERO))
        .hasMessageStartingWith("reconnectBackoffInitial:");
    assertThatThrownBy(() -> b.reconnectBackoffMax(Duration.ZERO))
        .hasMessageStartingWith("reconnectBackoffMax:");
    assertThatThrownBy(() -> b.shutdownGrace(Duration.ZERO))
        .hasMessageStartingWith("shutdownGrace:");
  }

  @Test
  void zeroAndNegativeSizesAndFactorsAreRejectedNamingTheField() {
    ChannelOptions.Builder b = ChannelOptions.builder();
    assertThatThrownBy(() -> b.maxInboundMessageSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInboundMessageSize: 0 (expected: >= 1)");
    assertThatThrownBy(() -> b.escapeHatchThreshold(0))
        .hasMessage("escapeHatchThreshold: 0 (expected: >= 1)");
    assertThatThrownBy(() -> b.reconnectBackoffMultiplier(0.5))
        .hasMessage("reconnectBackoffMultiplier: 0.5 (expected: >= 1.0)");
    assertThatThrownBy(() -> b.reconnectBackoffMultiplier(Double.NaN))
        .hasMessageStartingWith("reconnectBackoffMultiplier: NaN");
    assertThatThrownBy(() -> b.reconnectBackoffJitter(1.0))
        .hasMessage("reconnectBackoffJitter: 1.0 (expected: >= 0.0 and < 1.0)");
  }

  @Test
  void maximumBackoffBelowInitialIsRejectedAtBuild() {
    ChannelOptions.Builder b =
        ChannelOptions.builder()
            .reconnectBackoffInitial(Duration.ofSeconds(2))
            .reconnectBackoffMax(Duration.ofSeconds(1));
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("reconnectBackoffMax: PT1S (expected: >= reconnectBackoffInitial");
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
