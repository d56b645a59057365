/**
 * What {@link dev.lifeline.active.nats.NatsLeaseStore} needs inside: {@code LeaseCodec} (the lease
 * as stored in the bucket), {@code BucketRules} (the bucket settings the guarantees require, as a
 * pure check), {@code NatsListeners} (jnats connection events, logged without secrets) and {@code
 * Redactor} (credentials removed from URLs and exceptions). Not API; may change without notice.
 */
package dev.lifeline.active.nats.internal;
