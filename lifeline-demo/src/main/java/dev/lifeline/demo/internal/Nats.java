package dev.lifeline.demo.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

/** Checks that a NATS server answers before anything is started on it. Stateless. */
final class Nats {

  private Nats() {}

  /** Throws a one-line {@link UsageException} unless a TCP connection opens within 2 s. */
  static void requireReachable(URI nats) throws UsageException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(nats.getHost(), nats.getPort()), 2_000);
    } catch (IOException e) {
      throw new UsageException(
          "--nats: cannot reach NATS at " + nats + " (" + e.getMessage() + ")");
    }
  }
}
