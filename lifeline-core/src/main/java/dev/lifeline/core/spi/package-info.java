/**
 * The contract between lifeline-core and a transport (lifeline-grpc, lifeline-http): what a
 * transport calls to run one logical call under a user's {@link dev.lifeline.core.CallPolicy}.
 * Users of the clients never need this package.
 *
 * <p>Main types: {@link dev.lifeline.core.spi.CallExecution}, the engine of one logical call,
 * started with {@link dev.lifeline.core.spi.CallExecution#start(dev.lifeline.core.CallPolicy,
 * String, String, java.time.Duration, boolean)}; {@link dev.lifeline.core.spi.AttemptOutcome}, how
 * the transport reports a failed attempt; {@link dev.lifeline.core.spi.Decision}, the engine's
 * answer; {@link dev.lifeline.core.spi.Redaction}, which headers are secrets and how to keep them
 * out of text; {@link dev.lifeline.core.spi.LatencyHistogram}, the buckets every Lifeline timer
 * publishes.
 *
 * <p>The contract a transport must keep:
 *
 * <ol>
 *   <li>Start exactly one {@code CallExecution} per logical call, before its first attempt, and
 *       drive it to the end: every started call finishes by {@code succeeded()}, by a {@code
 *       Decision} to stop, by a refused {@code beforeAttempt()}, or by {@code abandon(reason)} (the
 *       caller cancelled, the transport gave up). A call left running counts as in flight for ever.
 *   <li>Before each attempt ask the breaker ({@code beforeAttempt()}, or {@code tryAttempt(member)}
 *       when the transport routes among members); make the attempt only if it says yes, bounded by
 *       {@code attemptTimeout()}. One attempt at a time.
 *   <li>Classify every failed attempt into a {@link dev.lifeline.core.FailureKind} and report it
 *       once through {@code afterAttempt}; mark what the transport knows: {@code notSent()} only
 *       when the request provably never reached the server's application, {@code streamStarted()}
 *       once the caller has seen a response message, the server's pushback, a redirect, a local
 *       failure.
 *   <li>Wait exactly {@code Decision.delay()} before the next attempt, on the transport's
 *       scheduler, never on the caller's thread by sleeping; raise the transport's exception
 *       carrying {@code Decision.report()} when the decision is to stop.
 *   <li>Put nothing secret in an {@code AttemptOutcome}'s status that {@code Redaction} cannot
 *       mask: the engine scrubs the policy's secret header values, but values the transport adds
 *       (request headers, query keys) are the transport's to scrub.
 * </ol>
 *
 * <p>Compatibility: this package may change between minor releases, in step with the transports of
 * the same version. Under the module system it is exported only to Lifeline's transports.
 *
 * <p>Thread safety: {@code CallExecution} is thread-safe (synchronized; attempts may be driven from
 * different callback threads, one at a time); the other types are immutable or stateless.
 */
@NullMarked
package dev.lifeline.core.spi;

import org.jspecify.annotations.NullMarked;
