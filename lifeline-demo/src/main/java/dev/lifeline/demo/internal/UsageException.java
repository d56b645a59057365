package dev.lifeline.demo.internal;

import dev.lifeline.core.internal.Check;

/** Bad command-line input; its message is printed as one line, without a stack trace. */
public final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message one line naming the option, the value and what was expected
   */
  public UsageException(String message) {
    super(message, null, false, false);
  }

  /**
   * The usage error for a value that failed one of {@link Check}'s checks, with its message: {@code
   * "--option: value (expected: ...)"}.
   */
  public UsageException(IllegalArgumentException invalid) {
    this(String.valueOf(invalid.getMessage()));
  }
}
