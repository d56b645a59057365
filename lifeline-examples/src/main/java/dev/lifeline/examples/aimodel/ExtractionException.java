package dev.lifeline.examples.aimodel;

/**
 * The AI model answered but could not extract anything ({@code success = false}). Not a transport
 * failure, so it is never retried.
 *
 * <p>Immutable and thread-safe.
 */
public final class ExtractionException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with the model's error message. */
  public ExtractionException(String message) {
    super("AI model extraction failed: " + message);
  }
}
