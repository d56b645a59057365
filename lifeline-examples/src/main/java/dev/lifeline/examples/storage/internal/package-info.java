/** The storage example's wire format: a small strict JSON codec. Not API. */
package dev.lifeline.examples.storage.internal;
