/**
 * Lifeline for gRPC clients: channels that come back fast and never hurt a healthy connection,
 * calls that retry only what is safe, and failover to a group's single active member.
 *
 * <ul>
 *   <li>{@link dev.lifeline.grpc.ChannelPool} hands out reference-counted {@link
 *       dev.lifeline.grpc.LifelineChannel} leases, one managed channel per target, shaped by {@link
 *       dev.lifeline.grpc.ChannelOptions} (keepalive, reconnect, linger) and built by a {@link
 *       dev.lifeline.grpc.ChannelBuilderFactory} (TLS unless plaintext is asked for by name).
 *   <li>{@link dev.lifeline.grpc.LifelineCalls} is the interceptor that runs each call through
 *       core's engine: retry policy, retry budget, circuit breaker, deadline, Context and call
 *       report.
 *   <li>{@link dev.lifeline.grpc.StickyGroupChannel} routes each attempt of that same engine to a
 *       group's active member and follows {@link dev.lifeline.grpc.NotActive} hints.
 *   <li>A failed call surfaces as the server's status with a {@link
 *       dev.lifeline.grpc.LifelineCallException} cause; {@link dev.lifeline.grpc.GrpcFailures} maps
 *       status codes to core's failure kinds.
 * </ul>
 *
 * <p>Every type here documents its thread safety; pools, channels and interceptors are safe to
 * share between threads. Anything in {@code dev.lifeline.grpc.internal} is not API.
 */
@NullMarked
package dev.lifeline.grpc;

import org.jspecify.annotations.NullMarked;
