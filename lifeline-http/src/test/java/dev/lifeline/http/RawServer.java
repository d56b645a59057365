package dev.lifeline.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hostile peer on 127.0.0.1: accepts connections and runs a script on each, for the cases a
 * well-behaved HTTP server cannot play (dripping bytes, never answering, lying about lengths).
 * Thread-safe; {@link #close()} closes the listener and every accepted socket.
 */
final class RawServer implements AutoCloseable {

  /** What the server does with one accepted connection; runs on its own thread. */
  interface Script {
    void run(Socket socket) throws Exception;
  }

  private final ServerSocket listener;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();

  RawServer(Script script) {
    try {
      listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread acceptor =
        new Thread(
            () -> {
              while (!listener.isClosed()) {
                Socket s;
                try {
                  s = listener.accept();
                } catch (IOException e) {
                  return;
                }
                accepted.add(s);
                connections.incrementAndGet();
                Thread t =
                    new Thread(
                        () -> {
                          try (s) {
                            script.run(s);
                          } catch (Exception e) {
                            // The client hung up or the test closed the server.
                          }
                        },
                        "raw-server-conn");
                t.setDaemon(true);
                t.start();
              }
            },
            "raw-server-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  String baseUrl(String scheme) {
    return scheme + "://127.0.0.1:" + port();
  }

  /** Reads one request head (up to the blank line) and returns it. */
  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("peer closed before the end of the request head");
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException e) {
      // Already closed.
    }
    for (Socket s : accepted) {
      try {
        s.close();
      } catch (IOException e) {
        // Already closed.
      }
    }
  }
}
