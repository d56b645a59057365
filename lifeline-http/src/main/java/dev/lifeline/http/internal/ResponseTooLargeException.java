package dev.lifeline.http.internal;

import java.io.IOException;

/**
 * A response body exceeded the maximum response size, announced or while being read. The body is
 * never truncated: the exchange fails and its connection is discarded. Immutable and thread-safe.
 */
public final class ResponseTooLargeException extends IOException {

  private static final long serialVersionUID = 1L;

  ResponseTooLargeException(String message) {
    super(message);
  }

  static ResponseTooLargeException announced(long contentLength, long max) {
    return new ResponseTooLargeException(
        "response too large: Content-Length " + contentLength + " exceeds maxResponseBytes " + max);
  }

  static ResponseTooLargeException read(long max) {
    return new ResponseTooLargeException(
        "response too large: body exceeds maxResponseBytes " + max);
  }
}
