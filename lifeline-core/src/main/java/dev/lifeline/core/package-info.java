/**
 * What Lifeline's gRPC and HTTP clients share: the retry policy and its backoff, the retry budget,
 * failure classification, the circuit-breaker glue over Resilience4j, the report of an exhausted
 * call, metrics, and injected time.
 *
 * <p>Everything here is immutable and thread-safe unless its class documentation says otherwise.
 */
package dev.lifeline.core;
