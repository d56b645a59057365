/**
 * Lifeline's single-active service groups: one member of a group serves at a time, elected through
 * a lease store, with fencing and fast failover.
 */
module dev.lifeline.active {
  // Annotations only: nullness (JSpecify) and lock contracts (Error Prone), checked at build time.
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;
  requires transitive dev.lifeline.core;
  requires transitive dev.lifeline.grpc;
  requires transitive io.grpc;
  // ActiveHealth drives a grpc-services HealthStatusManager that the application owns.
  requires transitive io.grpc.services;
  requires org.slf4j;

  exports dev.lifeline.active;
}
