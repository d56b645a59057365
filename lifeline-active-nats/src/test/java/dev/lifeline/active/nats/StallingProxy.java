package dev.lifeline.active.nats;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP proxy on 127.0.0.1 that can turn the connections it already carries into black holes: their
 * bytes are read and dropped in both directions, and neither side sees a close, as after a silent
 * network partition. Connections opened afterwards are forwarded normally. Thread-safe; two daemon
 * threads per connection.
 */
final class StallingProxy implements AutoCloseable {

  private final ServerSocket listener;
  private final int backendPort;
  private final Object lock = new Object();

  /** Guarded by lock. */
  private final List<Link> links = new ArrayList<>();

  private volatile boolean closed;

  private static final class Link {
    final Socket client;
    final Socket backend;
    volatile boolean stalled;

    Link(Socket client, Socket backend) {
      this.client = client;
      this.backend = backend;
    }
  }

  private StallingProxy(int backendPort) throws IOException {
    this.backendPort = backendPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "stalling-proxy-" + listener.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  static StallingProxy start(int backendPort) throws IOException {
    return new StallingProxy(backendPort);
  }

  String url() {
    return "nats://127.0.0.1:" + listener.getLocalPort();
  }

  /** Every connection open now drops its bytes from here on, without closing. */
  void stallOpenConnections() {
    synchronized (lock) {
      links.forEach(l -> l.stalled = true);
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket backend = new Socket();
        backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), backendPort), 2000);
        Link link = new Link(client, backend);
        synchronized (lock) {
          links.add(link);
        }
        pump(link, client, backend);
        pump(link, backend, client);
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private static void pump(Link link, Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[8192];
              try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                  if (!link.stalled) {
                    out.write(buf, 0, n);
                    out.flush();
                  }
                }
              } catch (IOException e) {
                // The connection ended.
              }
              if (!link.stalled) {
                closeQuietly(to);
              }
            },
            "stalling-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Already closed.
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // Already closed.
    }
    synchronized (lock) {
      for (Link l : links) {
        closeQuietly(l.client);
        closeQuietly(l.backend);
      }
      links.clear();
    }
  }
}
