/**
 * The five Python originals, rewritten on Lifeline, one subpackage each: {@code item} (a gRPC
 * repository per request on a shared pool), {@code order} (a single-active order service and its
 * sticky client), {@code aimodel} (a long-running streaming model call), {@code infra} (a sidecar
 * client) and {@code storage} (the HTTP watermark client). They are meant to be read next to the
 * originals in the project's seeds and are what the demo runs; they are not a library API.
 */
@NullMarked
package dev.lifeline.examples;

import org.jspecify.annotations.NullMarked;
