/**
 * The chaos run's machinery; not API. {@link dev.lifeline.chaos.internal.ChaosRun} drives one run:
 * a 3-node NATS cluster, three {@link dev.lifeline.chaos.internal.MemberProcess}es, a {@link
 * dev.lifeline.chaos.internal.ClientLoad} writing through the group to a {@link
 * dev.lifeline.chaos.internal.FencedRegister} (the downstream system that rejects stale fencing
 * tokens), and a seeded schedule of {@link dev.lifeline.chaos.internal.FaultKind}s.
 *
 * <p>The run is split along its decisions: {@link dev.lifeline.chaos.internal.FaultPlan} decides
 * the schedule from the seed (kinds, hold times, nodes); {@link
 * dev.lifeline.chaos.internal.FaultInjector} injects and heals one planned fault; {@link
 * dev.lifeline.chaos.internal.SteadyState} decides whether the system is steady and bounds every
 * wait; {@link dev.lifeline.chaos.internal.Failover} measures a fault's failover time on the
 * history; {@link dev.lifeline.chaos.internal.FaultRecord} is what one fault left. {@link
 * dev.lifeline.chaos.internal.ChaosReport} is what the run found, as a table and as bench-shaped
 * JSON; {@link dev.lifeline.chaos.internal.Args} parses the command line.
 *
 * <p>A run is driven from one thread; the load, the register and the member processes are
 * thread-safe because clients and process watchers reach them concurrently. Each class states
 * which.
 */
@NullMarked
package dev.lifeline.chaos.internal;

import org.jspecify.annotations.NullMarked;
