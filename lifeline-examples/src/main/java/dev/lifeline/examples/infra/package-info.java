/**
 * An isa_common-style infrastructure client on Lifeline: one pooled channel per address, a
 * read-only {@code isHealthy()}, a {@code reconnect()} that never leaks or breaks other clients,
 * and a {@code close()} that releases only this client.
 */
@NullMarked
package dev.lifeline.examples.infra;

import org.jspecify.annotations.NullMarked;
