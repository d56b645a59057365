/** A lease store for Lifeline's single-active groups on a NATS JetStream key-value bucket. */
module dev.lifeline.active.nats {
  // Annotations only: nullness (JSpecify) and lock contracts (Error Prone), checked at build time.
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;
  requires transitive dev.lifeline.active;
  requires transitive io.nats.jnats;
  requires org.slf4j;

  exports dev.lifeline.active.nats;
}
