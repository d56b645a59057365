/**
 * What {@link dev.lifeline.active.nats.NatsLeaseStore} does inside, split along its decisions. The
 * I/O: {@code NatsBucket} (the connection and the bucket: lazy connect, creation, checks,
 * recreation detection, with {@code OpenBucket} the bucket opened on one connection), {@code
 * NatsLeases} (the compare-and-set lease operations, the read-back after a won write, the watches,
 * one {@code KeyWatch} each) and {@code RevisionLog} (when each revision was first seen, the
 * highest seen). The decisions, as pure functions: {@code LeaseDecisions} (expiry, a superseded
 * win, rewrites above revisions seen, downstream tokens), {@code StoreErrors} (what an error
 * means), {@code BucketRules} (the bucket settings the guarantees require) and {@code
 * NatsBucket#onMissing} and {@code NatsBucket#epochChange}. Around them: {@code ConnectionSettings}
 * (the builder's checks and jnats options), {@code LeaseCodec} (the lease as stored in the bucket),
 * {@code NatsListeners} (jnats connection events, logged without secrets) and {@code Redactor}
 * (credentials removed from URLs and exceptions). Not API; may change without notice.
 */
@NullMarked
package dev.lifeline.active.nats.internal;

import org.jspecify.annotations.NullMarked;
