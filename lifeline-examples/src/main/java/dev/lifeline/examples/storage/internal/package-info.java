/**
 * The storage example's wire format; not API. {@link
 * dev.lifeline.examples.storage.internal.WatermarkJson} reads and writes the watermark API's JSON
 * on Jackson: unknown fields are ignored so the server may add some, a missing required field fails
 * with its name, and timestamps are ISO-8601 UTC. Stateless and thread-safe.
 */
@NullMarked
package dev.lifeline.examples.storage.internal;

import org.jspecify.annotations.NullMarked;
