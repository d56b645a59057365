/**
 * How the gRPC client works inside; not API, anything here may change without notice.
 *
 * <ul>
 *   <li>The one call engine: {@code EngineCall} (a {@code ClientCall} that drives core's {@code
 *       CallExecution} attempt by attempt), {@code AttemptListener} (what one attempt's events mean
 *       for the call), {@code EngineDecisions} (its pure rules: what an attempt's end means for the
 *       retry rule, how the engine ends a call itself, which status the caller sees, each attempt's
 *       deadline), {@code RetryWait} (the wait between attempts), {@code RequestBuffer} (the
 *       request each attempt replays), {@code CallHandle} (what an attempt tells the channel below
 *       it), {@code AttemptEvidence} (client-local proof that an attempt never left), {@code
 *       Callbacks} and {@code FailedCall} (closes delivered on the call's executor).
 *   <li>Group routing: {@code StickyRouter} (the group's shared memory of its active member),
 *       {@code GroupRoute} (one call's route through the members), {@code ResolvedMembers}
 *       (membership from a name resolver).
 *   <li>Channels: {@code ManagedTarget} (one pool entry: its channels, the escape hatch, linger and
 *       shrinking), {@code ChannelSlot} (one channel's demand-driven reconnect and drain), {@code
 *       TrackedCall} (one call's in-flight count and bounded connect wait), {@code
 *       ChannelDecisions} (the pure rules: which connection, when to add, shrink or count a
 *       failure), {@code TargetMeters}, {@code Targets}, {@code PlaintextFactory}.
 * </ul>
 */
@NullMarked
package dev.lifeline.grpc.internal;

import org.jspecify.annotations.NullMarked;
