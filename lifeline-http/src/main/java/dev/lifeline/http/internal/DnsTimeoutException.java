package dev.lifeline.http.internal;

import java.net.UnknownHostException;

/**
 * A DNS lookup did not finish before the exchange's deadline. An {@link UnknownHostException}
 * because that is all a {@link org.apache.hc.client5.http.DnsResolver} may throw; classified as a
 * timeout. Immutable and thread-safe.
 */
final class DnsTimeoutException extends UnknownHostException {

  private static final long serialVersionUID = 1L;

  DnsTimeoutException(String host, long waitedMillis) {
    super("DNS lookup of '" + host + "' did not finish within " + waitedMillis + " ms");
  }
}
