package dev.lifeline.chaos.internal;

/**
 * A client call that failed, as the client saw it. Immutable.
 *
 * @param client the client thread's name
 * @param requestId the call's request id
 * @param sentNanos when it was sent ({@link System#nanoTime()})
 * @param endNanos when it failed
 * @param status the gRPC status it failed with
 */
record FailedCall(String client, String requestId, long sentNanos, long endNanos, String status) {}
