/** The storage example's wire format: the watermark API's JSON shapes on Jackson. Not API. */
package dev.lifeline.examples.storage.internal;
