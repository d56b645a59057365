package dev.lifeline.active;

/**
 * A lease store could not answer (unreachable, timed out, refused). It says nothing about who holds
 * the lease: callers must assume the worst and retry.
 */
public class LeaseStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public LeaseStoreException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Creates the exception. */
  public LeaseStoreException(String message) {
    super(message);
  }
}
