package dev.lifeline.active.nats.internal;

import io.nats.client.JetStreamApiException;

/**
 * What an error of a bucket operation means, as one pure function: the compare-and-set lost, the
 * bucket may be gone, or the store could not answer. Stateless and thread-safe.
 */
public final class StoreErrors {

  /** JetStream's "wrong last sequence" API error code: the compare-and-set lost. */
  static final int WRONG_LAST_SEQUENCE = 10071;

  /** JetStream's "stream not found" API error code: the bucket is gone. */
  static final int STREAM_NOT_FOUND = 10059;

  /** The meaning of an error. */
  public enum Kind {
    /**
     * Someone else wrote the key first: the store answered, and the answer is no. An acquire did
     * not win, a renewal or release lost its lease.
     */
    CONFLICT,
    /**
     * The bucket may be gone (a stream not found, or "503 no responders" for a write to a subject
     * no stream listens on): worth checking, as a lease in a vanished bucket is lost.
     */
    BUCKET_MAYBE_GONE,
    /**
     * Anything else (a timeout, a lost connection, a server error): the store did not answer, so
     * the operation fails and the caller retries.
     */
    UNAVAILABLE
  }

  private StoreErrors() {}

  /** What {@code e}, thrown by a bucket operation, means. */
  public static Kind classify(Exception e) {
    int code = e instanceof JetStreamApiException j ? j.getApiErrorCode() : 0;
    return classify(code, String.valueOf(e.getMessage()));
  }

  /**
   * What an error means, from its JetStream API error code (0 for an error that is not a JetStream
   * API error) and its message.
   */
  public static Kind classify(int apiErrorCode, String message) {
    if (apiErrorCode == WRONG_LAST_SEQUENCE) {
      return Kind.CONFLICT;
    }
    if (apiErrorCode == STREAM_NOT_FOUND || message.contains("503")) {
      return Kind.BUCKET_MAYBE_GONE;
    }
    return Kind.UNAVAILABLE;
  }
}
