/**
 * A Jepsen-style chaos run of a single-active group over a 3-node NATS JetStream cluster: {@link
 * dev.lifeline.chaos.ChaosMember} is one member process, {@link dev.lifeline.chaos.ChaosMain} the
 * runner behind {@code ./lifeline chaos}.
 */
@NullMarked
package dev.lifeline.chaos;

import org.jspecify.annotations.NullMarked;
