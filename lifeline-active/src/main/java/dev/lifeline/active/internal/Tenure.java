package dev.lifeline.active.internal;

import io.grpc.Context;
import org.jspecify.annotations.Nullable;

/**
 * One tenure of a member: its token, its current local deadline and a cancellation signal that ends
 * the contexts of the calls it admitted. Renewals replace the record but keep the signal. Immutable
 * and thread-safe.
 */
record Tenure(long token, long deadlineNanos, Context.CancellableContext ended) {

  /** Whether the tenure still runs at {@code nowNanos}. */
  boolean validAt(long nowNanos) {
    return nowNanos - deadlineNanos < 0;
  }

  /** Whether {@code t} is a tenure that still runs at {@code nowNanos}. */
  static boolean running(@Nullable Tenure t, long nowNanos) {
    return t != null && t.validAt(nowNanos);
  }
}
