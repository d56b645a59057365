/**
 * Implementation of Lifeline's gRPC client support: the pool entry with its single-flight rebuild
 * and reconnect driver, target validation, the retry interceptor's call state machine and the
 * sticky group routing. Not API; anything here may change without notice.
 */
package dev.lifeline.grpc.internal;
