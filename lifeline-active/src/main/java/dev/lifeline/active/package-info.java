/**
 * Single-active service groups: exactly one member of a group is ACTIVE, the others STANDBY.
 *
 * <p>Election runs over a {@link dev.lifeline.active.LeaseStore} with compare-and-set and fencing
 * tokens ({@link dev.lifeline.active.InMemoryLeaseStore} in one JVM, the NATS store across
 * machines). {@link dev.lifeline.active.ActiveMember} keeps one member's lease, {@link
 * dev.lifeline.active.ExclusiveInterceptor} answers NOT_ACTIVE for exclusive gRPC methods on
 * standbys and {@link dev.lifeline.active.ActiveHealth} drives the standard health service. {@link
 * dev.lifeline.active.ActiveOptions} holds the timing (the lease TTL and the heartbeat) in one
 * place.
 *
 * <p>Members, stores and interceptors are thread-safe; options and ids are immutable; builders are
 * not thread-safe. Nothing here returns or accepts null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.lifeline.active;

import org.jspecify.annotations.NullMarked;
