/**
 * Lifeline's resilient HTTP client on Apache HttpClient 5: a bounded connection pool, timeouts, a
 * DNS cache, TLS that verifies by default, and the same retry policy, retry budget, circuit breaker
 * and metrics as the gRPC side ({@link dev.lifeline.core.CallPolicy}).
 *
 * <p>Start with {@link dev.lifeline.http.HttpClientConfig#builder(String)} and {@link
 * dev.lifeline.http.LifelineHttpClient#create(HttpClientConfig)}. Everything here is immutable and
 * thread-safe unless its class documentation says otherwise.
 */
@NullMarked
package dev.lifeline.http;

import org.jspecify.annotations.NullMarked;
