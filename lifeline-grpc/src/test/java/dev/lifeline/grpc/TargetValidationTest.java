package dev.lifeline.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TargetValidationTest {

  private final RecordingFactory factory = RecordingFactory.plaintext();
  private final ChannelPool pool = ChannelPool.builder().builderFactory(factory).build();

  @AfterEach
  void closePool() {
    pool.close();
    factory.shutdownAll();
  }

  @Test
  void validTargetsAreAcceptedAndOpenNothing() {
    for (String t :
        new String[] {
          "localhost:50051",
          "master-data:50051",
          "10.0.0.1:8080",
          "[::1]:8080",
          "dns:///host:443",
          "service-name"
        }) {
      pool.lease(t).close();
    }
    assertThat(factory.built).isEmpty();
  }

  @Test
  void invalidTargetFailsAtLeaseTimeNamingTheTarget() {
    for (String t : new String[] {"host:notaport", "host:99999", "two words:1", "bad host^:1"}) {
      assertThatThrownBy(() -> pool.lease(t))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + t + "'");
    }
    assertThatThrownBy(() -> pool.lease("")).hasMessageStartingWith("target: ''");
    assertThatThrownBy(() -> pool.lease(null)).hasMessageStartingWith("target: null");
    assertThat(pool.size()).isZero();
    assertThat(factory.built).isEmpty();
  }
}
