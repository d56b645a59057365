/**
 * lifeline-core's implementation details, public only so that its other packages can reach them:
 * the pure retry rule ({@link dev.lifeline.core.internal.RetryDecision}) and breaker rule ({@link
 * dev.lifeline.core.internal.BreakerVerdict}), the engine's log events ({@link
 * dev.lifeline.core.internal.CallLog}), what a policy keeps while calls run ({@link
 * dev.lifeline.core.internal.PolicyRuntime}, {@link dev.lifeline.core.internal.MethodMeters}) and
 * the bridge the engine uses to reach it ({@link dev.lifeline.core.internal.CoreAccess}), and the
 * {@code Clock} adapter of Lifeline's fake clocks ({@link dev.lifeline.core.internal.TickerClock}),
 * and the argument checks every module shares ({@link dev.lifeline.core.internal.Check}).
 *
 * <p>Not API: anything here may change in any release. Under the module system the package is
 * exported only to the Lifeline modules that need a piece of it.
 *
 * <p>Each class states its thread safety.
 */
@NullMarked
package dev.lifeline.core.internal;

import org.jspecify.annotations.NullMarked;
