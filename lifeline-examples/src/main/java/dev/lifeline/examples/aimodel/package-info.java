/**
 * The Farmer Power {@code AiModelClient} rewritten on Lifeline: one lazily connecting channel with
 * keepalive to a Dapr sidecar, the {@code dapr-app-id} header, retries of transient failures only
 * (3 attempts, exponential 1–10 s as in ADR-005), and one typed error naming the app id, method and
 * attempts when the call fails.
 */
@NullMarked
package dev.lifeline.examples.aimodel;

import org.jspecify.annotations.NullMarked;
