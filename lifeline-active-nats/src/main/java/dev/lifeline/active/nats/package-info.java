/** Lifeline module active-nats. */
package dev.lifeline.active.nats;
