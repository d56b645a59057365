package dev.lifeline.examples.storage;

/** Placeholder so the new tests compile against the old client; replaced by the fix. */
public class StorageMisroutedException extends StorageException {
  private static final long serialVersionUID = 1L;

  public StorageMisroutedException(String message, Throwable cause) {
    super(message, cause);
  }
}
