package dev.lifeline.http.internal;

import java.io.IOException;
import java.io.InputStream;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpEntity;
import org.jspecify.annotations.Nullable;

/**
 * Reading (and not reading) response bodies within their size limits: a whole body for {@code
 * execute}, a {@link BodyStream} for streaming, a short error body drained so its connection can be
 * reused.
 *
 * <p>Stateless and thread-safe.
 */
final class ResponseBodies {

  /** How much of an error answer's body is read to keep its connection; more is discarded. */
  static final int ERROR_BODY_DRAIN_BYTES = 64 * 1024;

  private ResponseBodies() {}

  /**
   * The body of {@code entity}, refusing at once one whose announced length is over {@code max}
   * (-1: no limit); {@code handedOut} as for {@link BodyStream}.
   */
  static BodyStream body(HttpEntity entity, long max, @Nullable Exchange handedOut)
      throws IOException {
    long announced = entity.getContentLength();
    if (max >= 0 && announced > max) {
      throw ResponseTooLargeException.announced(announced, max);
    }
    return new BodyStream(entity.getContent(), max, handedOut);
  }

  /**
   * Reads a whole body of at most {@code max} bytes. A body of announced length is read into an
   * array of exactly that size; then the end of the stream is read too, which hands the connection
   * back to the pool.
   */
  static byte[] readBody(HttpEntity entity, long max) throws IOException {
    BodyStream in = body(entity, max, null);
    long announced = entity.getContentLength();
    if (announced < 0) {
      return in.readAllBytes();
    }
    byte[] body = in.readNBytes((int) announced);
    if (in.read() >= 0) {
      // More than announced: HttpClient stops at the length, so this cannot happen; be safe.
      throw new IOException("body longer than its Content-Length " + announced);
    }
    return body;
  }

  /**
   * Reads a short error body to its end, which hands its connection back to the pool; a longer one
   * is left unread and its connection discarded after the exchange.
   */
  static void drain(ClassicHttpResponse response) throws IOException {
    // HttpClient gives no entity for an answer without a body (HEAD, 204, 304).
    @Nullable HttpEntity entity = response.getEntity();
    if (entity == null || entity.getContentLength() > ERROR_BODY_DRAIN_BYTES) {
      return;
    }
    InputStream in = new BodyStream(entity.getContent(), ERROR_BODY_DRAIN_BYTES, null);
    byte[] scratch = new byte[4096];
    try {
      while (in.read(scratch) >= 0) {
        // Discarded: the status is the answer.
      }
    } catch (ResponseTooLargeException notShort) {
      // Not worth reading further.
    }
  }

  static void closeQuietly(@Nullable ClassicHttpResponse response) {
    if (response == null) {
      return;
    }
    try {
      response.close();
    } catch (IOException alreadyDiscarded) {
      // The exchange was cancelled before: its connection is gone either way.
    }
  }
}
