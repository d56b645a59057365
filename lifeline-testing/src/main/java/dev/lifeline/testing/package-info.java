/**
 * Test fixtures for code built on Lifeline: a {@link dev.lifeline.testing.FakeClock} that owns time
 * and scheduled tasks, loopback test servers and a fault-injecting TCP proxy.
 */
package dev.lifeline.testing;
