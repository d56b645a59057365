/**
 * The machinery behind {@link dev.lifeline.http.LifelineHttpClient}; not API, may change in any
 * release.
 *
 * <ul>
 *   <li>{@code DefaultHttpClient}: the attempt loop, driven by core's engine ({@code
 *       dev.lifeline.core.spi.CallExecution}).
 *   <li>Decisions, as pure functions: {@code HttpClassifier} (what a status or an exception means,
 *       and so whether it is retried), {@code HttpDecisions} (what counts as a result, how long a
 *       {@code Retry-After} may hold the call, how the waits are capped).
 *   <li>HttpClient 5 set-up: {@code ApacheClients} (pool, client, per-attempt request config),
 *       {@code TlsSupport}, {@code BoundedDnsResolver} and {@code CachingDnsResolver}.
 *   <li>One exchange: {@code Exchange} (its phase and deadline), {@code BodyStream} and {@code
 *       ResponseBodies} (bodies within their limits).
 *   <li>Reporting: {@code FailedCalls} (the exception a failed call ends with and its one WARN),
 *       {@code Redact} (no query value or secret header value in a message), {@code HttpMeters}.
 * </ul>
 *
 * <p>Each class states its thread safety; the client and the resolvers are thread-safe, an {@code
 * Exchange} belongs to one request.
 */
@NullMarked
package dev.lifeline.http.internal;

import org.jspecify.annotations.NullMarked;
