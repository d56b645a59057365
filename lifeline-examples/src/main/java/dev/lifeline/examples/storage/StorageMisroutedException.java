package dev.lifeline.examples.storage;

import org.jspecify.annotations.Nullable;

/**
 * A 404 that is not the storage service's own "no watermark" answer: something else answered for
 * the path, typically a wrong base URL or an ingress whose route is missing (during a deploy, say).
 * Never read as "no watermark", which would restart a collection from scratch. Immutable and
 * thread-safe.
 */
public class StorageMisroutedException extends StorageException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public StorageMisroutedException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
