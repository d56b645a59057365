/**
 * The AegisSDK order-service example on Lifeline: a single-active group of {@link
 * dev.lifeline.examples.order.OrderInstance}s with an exclusive {@code ProcessOrder} and a shared
 * {@code GetOrderStats}, and {@link dev.lifeline.examples.order.OrderClient} following the active
 * instance.
 */
@NullMarked
package dev.lifeline.examples.order;

import org.jspecify.annotations.NullMarked;
