/**
 * What users of Lifeline's gRPC and HTTP clients configure and catch, whichever transport they use.
 *
 * <p>Configure a client with a {@link dev.lifeline.core.CallPolicy}: the service name, a {@link
 * dev.lifeline.core.RetryPolicy} (how many attempts, which {@link dev.lifeline.core.FailureKind}s
 * are retried, whether a call is idempotent, its {@link dev.lifeline.core.Backoff} and {@link
 * dev.lifeline.core.Jitter}), per-method overrides, a {@link dev.lifeline.core.RetryBudget} per
 * target and the {@link dev.lifeline.core.CircuitBreakers} (Resilience4j underneath). Time comes
 * from an injected {@link dev.lifeline.core.Ticker}, so tests can drive it by hand.
 *
 * <p>A logical call that fails raises one exception per transport, and each implements {@link
 * dev.lifeline.core.ExhaustedCall}: its {@link dev.lifeline.core.CallReport} lists every {@link
 * dev.lifeline.core.Attempt} (secrets redacted) and the {@link dev.lifeline.core.StopReason}.
 *
 * <p>Transport authors: the engine that drives a call attempt by attempt is in {@link
 * dev.lifeline.core.spi}. Nothing in this package needs it.
 *
 * <p>Everything here is immutable and thread-safe unless its class documentation says otherwise;
 * builders are not thread-safe.
 */
@NullMarked
package dev.lifeline.core;

import org.jspecify.annotations.NullMarked;
