/**
 * The machinery behind {@link dev.lifeline.http.LifelineHttpClient}; not API, may change in any
 * release.
 *
 * <p>{@link dev.lifeline.http.internal.DefaultHttpClient} runs each request as one logical call of
 * the shared engine ({@code dev.lifeline.core.spi.CallExecution}) on Apache HttpClient 5's classic
 * API and a pooled connection manager. Around it: {@link dev.lifeline.http.internal.Exchange} (one
 * request in flight, its deadline and how far it got), {@link
 * dev.lifeline.http.internal.HttpClassifier} (HTTP answers and I/O failures onto failure kinds,
 * judging "not sent" only from client-local evidence), {@link
 * dev.lifeline.http.internal.RequestRetryPolicy} (route, then HTTP method, then client policy),
 * {@link dev.lifeline.http.internal.BodyStream} (a size-bounded body that never truncates), the DNS
 * resolvers ({@link dev.lifeline.http.internal.CachingDnsResolver}, {@link
 * dev.lifeline.http.internal.BoundedDnsResolver}), TLS setup and {@link
 * dev.lifeline.http.internal.Redact} (query values out of logs).
 *
 * <p>Each class states its thread safety; the client and the resolvers are thread-safe, an {@code
 * Exchange} belongs to one request.
 */
package dev.lifeline.http.internal;
