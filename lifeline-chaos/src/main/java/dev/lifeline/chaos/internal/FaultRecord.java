package dev.lifeline.chaos.internal;

/**
 * One injected fault and what followed, as the report counts it. Immutable.
 *
 * @param index the fault's position in the schedule, from 1
 * @param kind what was injected
 * @param target the member or NATS node it hit
 * @param tokenBefore the highest fencing token acknowledged before the fault
 * @param faultNanos when it was injected ({@link System#nanoTime()})
 * @param healedNanos when the steady state after it was reached
 * @param failoverNanos the failover time {@link Failover#nanos} measured
 * @param newActive the member holding the top token after the heal
 */
record FaultRecord(
    int index,
    FaultKind kind,
    String target,
    long tokenBefore,
    long faultNanos,
    long healedNanos,
    long failoverNanos,
    String newActive) {}
