package dev.lifeline.examples.item;

import io.grpc.Status;

/** The master-data lookup failed for a reason other than a missing item. */
public final class RepositoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Status status;

  public RepositoryException(String message, Status status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The gRPC status of the failed call. */
  public Status status() {
    return status;
  }
}
