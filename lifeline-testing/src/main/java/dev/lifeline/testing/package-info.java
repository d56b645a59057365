/**
 * Test fixtures for code built on Lifeline: a {@link dev.lifeline.testing.FakeClock} that owns time
 * and scheduled tasks, loopback test servers, a fault-injecting TCP proxy, and for fault-injection
 * runs a {@link dev.lifeline.testing.NatsCluster} of real nats-server processes, {@link
 * dev.lifeline.testing.ChildProcess} (crash, stop, pause and resume with real signals) and the
 * {@link dev.lifeline.testing.HistoryChecker} that judges a single-active group's history.
 *
 * <p>For tests only: the fixtures start real processes and servers on loopback and are closed by
 * the test that made them. Each class states its thread safety; {@code FakeClock} may be read and
 * scheduled on from any thread, and its tasks run on the thread that moves time.
 */
@NullMarked
package dev.lifeline.testing;

import org.jspecify.annotations.NullMarked;
