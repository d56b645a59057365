/**
 * The NATS JetStream Key-Value {@link dev.lifeline.active.LeaseStore} for single-active groups
 * spread over machines: {@link dev.lifeline.active.nats.NatsLeaseStore}.
 */
package dev.lifeline.active.nats;
