/**
 * The chaos run's machinery; not API. {@link dev.lifeline.chaos.internal.ChaosRun} drives one run:
 * a 3-node NATS cluster, three {@link dev.lifeline.chaos.internal.MemberProcess}es, client load
 * against a {@link dev.lifeline.chaos.internal.FencedRegister} (the downstream system that rejects
 * stale fencing tokens), and a seeded schedule of {@link dev.lifeline.chaos.internal.FaultKind}s,
 * each healed before the next. {@link dev.lifeline.chaos.internal.ChaosReport} is what the run
 * found, as a table and as bench-shaped JSON; {@link dev.lifeline.chaos.internal.Args} parses the
 * command line.
 *
 * <p>A run is driven from one thread; the register and the member processes are thread-safe because
 * clients and process watchers reach them concurrently. Each class states which.
 */
package dev.lifeline.chaos.internal;
