/**
 * Implementation of lifeline-grpc: the managed-channel pool entry with its single-flight rebuild
 * and reconnect driver, target validation, the reconnect backoff, the sticky routing to a group's
 * active member, and the retry/budget/breaker call machinery. Not API; may change at any time.
 */
package dev.lifeline.grpc.internal;
