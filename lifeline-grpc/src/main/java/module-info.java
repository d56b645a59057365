/**
 * Lifeline's gRPC client: managed channels that survive restarts and failovers, safe retries with a
 * per-call report, and sticky routing to a service group's active member.
 *
 * <p>No transport is required: add {@code grpc-netty-shaded}, {@code grpc-netty} or {@code
 * grpc-okhttp} to the application, as with grpc-java itself.
 */
module dev.lifeline.grpc {
  // Annotations only: nullness (JSpecify) and lock contracts (Error Prone), checked at build time.
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;
  requires transitive dev.lifeline.core;
  requires transitive io.grpc;
  requires com.google.common;
  requires org.slf4j;

  exports dev.lifeline.grpc;
}
