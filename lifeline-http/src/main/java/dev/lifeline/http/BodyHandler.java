package dev.lifeline.http;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a response body as it arrives, for {@link LifelineHttpClient#executeStreaming}.
 *
 * <p>It is called on the calling thread for an answer the call accepts (2xx, 3xx, or a status the
 * request {@linkplain HttpRequest.Builder#acceptStatus accepts}), while the attempt's deadline
 * still runs: reading past it fails with an {@link IOException}. It is called again for a retry
 * only if it had not read a byte before the exchange failed. Implementations need not be
 * thread-safe.
 *
 * @param <T> what the handler makes of the body
 */
@FunctionalInterface
public interface BodyHandler<T> {

  /**
   * Reads {@code body}.
   *
   * @param head the status and headers; its {@link HttpResponse#body()} is empty
   * @param body the body, bounded by the request's {@link HttpRequest#maxResponseBytes()} if it set
   *     one; need not be read to the end or closed
   * @return the result of the call
   * @throws IOException if reading fails; a failure of {@code body} itself is classified like any
   *     transport failure, any other is the handler's own and ends the call at once
   */
  T handle(HttpResponse head, InputStream body) throws IOException;
}
