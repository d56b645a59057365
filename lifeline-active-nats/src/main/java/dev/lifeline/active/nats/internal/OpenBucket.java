package dev.lifeline.active.nats.internal;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;

/**
 * A bucket opened and checked on one connection, with its epoch (its creation time in
 * microseconds); replaced when either the connection or the bucket changes. Immutable.
 *
 * @param connection the connection the bucket was opened on
 * @param kv the bucket's key-value operations
 * @param kvm the management operations of that connection, to read the bucket's status
 * @param epoch the bucket's creation time in microseconds, the base of every fencing token in it
 */
public record OpenBucket(Connection connection, KeyValue kv, KeyValueManagement kvm, long epoch) {}
