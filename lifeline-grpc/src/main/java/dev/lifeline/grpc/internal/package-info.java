/**
 * Implementation of lifeline-grpc: the managed-channel pool entry with its single-flight rebuild
 * and reconnect driver, target validation, the reconnect backoff, and the sticky routing to a
 * group's active member. Not API; may change at any time.
 */
package dev.lifeline.grpc.internal;
