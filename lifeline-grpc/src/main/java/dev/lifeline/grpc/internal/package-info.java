/**
 * Implementation of Lifeline's managed channels: the pool entry with its single-flight rebuild and
 * reconnect driver, target validation and the reconnect backoff. Not API; may change at any time.
 */
package dev.lifeline.grpc.internal;
