/**
 * LADON's storage watermark client rewritten on {@link dev.lifeline.http.LifelineHttpClient}, with
 * a small storage server so that the demo and the tests talk to a real HTTP peer.
 *
 * <p>The point of the rewrite: "no watermark yet" ({@link java.util.Optional#empty()}) and "storage
 * is down" ({@link dev.lifeline.examples.storage.StorageUnavailableException}) can no longer be
 * confused, so a storage outage never triggers a full re-collection.
 */
@NullMarked
package dev.lifeline.examples.storage;

import org.jspecify.annotations.NullMarked;
