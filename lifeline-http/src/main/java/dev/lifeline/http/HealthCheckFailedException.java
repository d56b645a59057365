package dev.lifeline.http;

import org.jspecify.annotations.Nullable;

/**
 * Raised by {@link LifelineHttpClient#healthCheck()} when {@link
 * HttpClientConfig#failedHealthCheckThrows()} is set (the default in production) and the server is
 * unhealthy or unreachable, so that a service does not start blind. The message names the client,
 * the URL and the status or error. Immutable and thread-safe.
 */
public class HealthCheckFailedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception; {@code cause} is null when the server answered with an error. */
  public HealthCheckFailedException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
