package dev.lifeline.active;

import io.grpc.Context;

/**
 * Admission of one exclusive call on the active member. It holds the tenure's fencing token and
 * counts as in flight until closed: a graceful {@link ActiveMember#close()} waits for it and never
 * releases the lease while it is open. Close exactly once, when the call completes or is cancelled.
 * Thread-safe.
 */
public interface ExclusivePermit extends AutoCloseable {

  /** The fencing token of the tenure that admitted the call. */
  long fencingToken();

  /**
   * Whether the tenure that admitted the call still runs: the member holds the lease under the same
   * token and its local deadline has not passed. Check it right before running the call's work:
   * admission happened when the headers arrived, possibly long before.
   */
  boolean isCurrent();

  /**
   * A context for running a step of the call (a listener callback, or work it starts): a child of
   * {@code parent} that carries the fencing token ({@link FencingToken#current()}), whose deadline
   * is the tenure's local deadline as of now (or {@code parent}'s, if sooner), and that is
   * cancelled when the tenure ends (step-down, lost lease, close) or this permit is closed. Each
   * call returns a new context with the deadline known at that moment; one made after the tenure
   * ended is cancelled already.
   */
  Context.CancellableContext newContext(Context parent);

  /** Ends the call's admission and cancels the contexts made for it. Idempotent. */
  @Override
  void close();
}
