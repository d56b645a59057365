package dev.lifeline.http.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;

/**
 * A response body as the client or a {@link dev.lifeline.http.BodyHandler} reads it: it fails with
 * {@link ResponseTooLargeException} once more than the limit has been read (never truncating), and
 * remembers its own failures so that a handler's failures can be told from the transport's.
 *
 * <p>Not thread-safe: one reader at a time, like any stream.
 */
final class BodyStream extends FilterInputStream {

  private final long max;
  private final @Nullable Exchange handedOut;
  private long count;
  private @Nullable IOException failure;

  /**
   * @param max the limit in bytes, or -1 for none
   * @param handedOut the exchange whose {@link dev.lifeline.http.BodyHandler} reads this stream, to
   *     be told once data reached it; {@code null} when the client reads the body itself
   */
  BodyStream(InputStream in, long max, @Nullable Exchange handedOut) {
    super(in);
    this.max = max;
    this.handedOut = handedOut;
  }

  /** Whether {@code e} is a failure this stream raised (rather than its reader). */
  boolean raised(IOException e) {
    return failure != null && failure == e;
  }

  @Override
  public int read() throws IOException {
    int b;
    try {
      b = super.read();
    } catch (IOException e) {
      throw failed(e);
    }
    if (b >= 0) {
      counted(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int off, int len) throws IOException {
    int n;
    try {
      n = super.read(buffer, off, len);
    } catch (IOException e) {
      throw failed(e);
    }
    if (n > 0) {
      counted(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped;
    try {
      skipped = super.skip(n);
    } catch (IOException e) {
      throw failed(e);
    }
    if (skipped > 0) {
      counted(skipped);
    }
    return skipped;
  }

  private void counted(long n) throws ResponseTooLargeException {
    count += n;
    if (handedOut != null) {
      handedOut.bodyStarted();
    }
    if (max >= 0 && count > max) {
      throw (ResponseTooLargeException) failed(ResponseTooLargeException.read(max));
    }
  }

  private IOException failed(IOException e) {
    failure = e;
    return e;
  }

  /**
   * Closing is the client's job: it discards the connection if the body was not read to its end.
   */
  @Override
  public void close() {}
}
