package dev.lifeline.examples.storage;

import org.jspecify.annotations.Nullable;

/**
 * A storage call failed. Subclasses say whether storage was unreachable ({@link
 * StorageUnavailableException}) or answered something unusable ({@link StorageProtocolException});
 * this class itself means storage refused the request (a 4xx other than a missing watermark).
 * Immutable and thread-safe.
 */
public class StorageException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public StorageException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
