package dev.lifeline.active;

/**
 * Admission of one exclusive call on the active member: it holds the tenure's fencing token and
 * counts as in flight until closed, so a graceful close drains it before releasing the lease. Close
 * exactly once. Thread-safe.
 */
public interface ExclusivePermit extends AutoCloseable {

  /** The fencing token of the tenure that admitted the call. */
  long fencingToken();

  /** Ends the call's admission. */
  @Override
  void close();
}
