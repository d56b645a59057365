/** A lease store for Lifeline's single-active groups on a NATS JetStream key-value bucket. */
module dev.lifeline.active.nats {
  requires transitive dev.lifeline.active;
  requires transitive io.nats.jnats;
  requires org.slf4j;

  exports dev.lifeline.active.nats;
}
