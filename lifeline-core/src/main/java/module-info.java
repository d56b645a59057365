/**
 * Lifeline's core: what users of the gRPC and HTTP clients configure and catch ({@code
 * dev.lifeline.core}), and the engine the transports drive ({@code dev.lifeline.core.spi}).
 *
 * <p>The SPI is exported only to Lifeline's own transports: its contract is young (the transports
 * still change with it), and opening it later is compatible while closing it again would not be. On
 * the class path it is reachable, documented as changing between minor releases. The {@code
 * internal} package is exported only to Lifeline's own modules: they share its argument checks
 * ({@code Check}) and, in lifeline-testing, its {@code Clock} adapter.
 */
module dev.lifeline.core {
  // Annotations only: nullness (JSpecify) and lock contracts (Error Prone), checked at build time.
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;

  // CircuitBreakers hands out Resilience4j breakers and CallPolicy takes a MeterRegistry.
  requires transitive io.github.resilience4j.circuitbreaker;
  requires transitive micrometer.core;
  requires io.github.resilience4j.core;
  requires org.slf4j;

  exports dev.lifeline.core;
  exports dev.lifeline.core.spi to
      dev.lifeline.grpc,
      dev.lifeline.http;
  exports dev.lifeline.core.internal to
      dev.lifeline.grpc,
      dev.lifeline.http,
      dev.lifeline.active,
      dev.lifeline.active.nats,
      dev.lifeline.testing;
}
