package dev.lifeline.examples.storage;

import org.jspecify.annotations.Nullable;

/**
 * Storage answered, but not with a usable watermark: wrong content type, malformed or truncated
 * JSON, missing or invalid fields. Never turned into an empty result. Immutable and thread-safe.
 */
public class StorageProtocolException extends StorageException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public StorageProtocolException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
