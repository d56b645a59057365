/**
 * Test fixtures for code that uses Lifeline: a fake clock that owns time and scheduled tasks, test
 * gRPC services, a fault-injecting TCP proxy and real NATS clusters.
 */
module dev.lifeline.testing {
  // Annotations only: nullness (JSpecify) and lock contracts (Error Prone), checked at build time.
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;
  requires transitive dev.lifeline.core;
  requires transitive io.grpc;
  requires io.grpc.stub;
  // Awaitility has no Automatic-Module-Name: its module name comes from the jar's file name.
  requires awaitility;

  exports dev.lifeline.testing;
}
