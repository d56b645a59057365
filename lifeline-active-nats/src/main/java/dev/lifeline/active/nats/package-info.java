/**
 * The NATS JetStream Key-Value {@link dev.lifeline.active.LeaseStore} for single-active groups
 * spread over machines: {@link dev.lifeline.active.nats.NatsLeaseStore}.
 *
 * <p>Each group's lease is one key in a replicated bucket; acquiring and renewing are
 * compare-and-set on the key's revision, and the fencing token grows with every new holder, also
 * across a stream that lost acknowledged writes. Build the store with {@link
 * dev.lifeline.active.nats.NatsLeaseStore#builder(String...)}, hand it to {@link
 * dev.lifeline.active.ActiveMember}s, and close it when they are closed. See docs/single-active.md
 * for the guarantees and the bucket settings they need.
 *
 * <p>Thread-safe: one store serves any number of members and threads.
 */
@NullMarked
package dev.lifeline.active.nats;

import org.jspecify.annotations.NullMarked;
