package dev.lifeline.testing;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A fault-injecting TCP proxy on 127.0.0.1 for outage tests: it forwards to a backend port, or, in
 * refusing mode, accepts each connection and closes it at once, as a host whose server is down
 * would, or, in black-hole mode, keeps every connection open and drops every byte, as a network
 * partition that loses packets would. It counts connection attempts so a test can see how often a
 * client tried to reconnect.
 *
 * <p>Thread-safe. Uses two daemon threads per forwarded connection; {@link #close()} closes every
 * socket.
 */
public final class TcpProxy implements AutoCloseable {

  private final ServerSocket listener;
  private final Thread acceptor;
  private final Object lock = new Object();

  @GuardedBy("lock")
  private final List<Socket> open = new ArrayList<>();

  @GuardedBy("lock")
  private boolean refusing;

  @GuardedBy("lock")
  private int backendPort;

  /**
   * Black-hole mode: read and drop every byte. Volatile, not under {@link #lock}: the pumps read it
   * for every chunk.
   */
  private volatile boolean blackholed;

  private final AtomicInteger attempts = new AtomicInteger();
  private volatile boolean closed;

  private TcpProxy(int backendPort) throws IOException {
    this.backendPort = backendPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept-" + listener.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Starts a proxy on an ephemeral loopback port that forwards to {@code 127.0.0.1:backendPort}.
   *
   * @throws IOException if the listening socket cannot be opened
   */
  public static TcpProxy start(int backendPort) throws IOException {
    return new TcpProxy(backendPort);
  }

  /** The proxy's own port. */
  public int port() {
    return listener.getLocalPort();
  }

  /** {@code 127.0.0.1:<port>}, a gRPC target for this proxy. */
  public String target() {
    return "127.0.0.1:" + port();
  }

  /** Cuts every open connection and closes new ones at once, until {@link #forward()}. */
  public void refuse() {
    List<Socket> toClose;
    synchronized (lock) {
      refusing = true;
      toClose = new ArrayList<>(open);
      open.clear();
    }
    toClose.forEach(TcpProxy::closeQuietly);
  }

  /**
   * Drops every byte in both directions from now on, on open and new connections, which stay open:
   * neither side sees an error, only silence, as in a network partition. Ends with {@link
   * #forward()}.
   */
  public void blackhole() {
    synchronized (lock) {
      refusing = false;
      blackholed = true;
    }
  }

  /**
   * Forwards new connections to the backend again. Coming out of {@link #blackhole()}, the
   * connections that lost bytes are closed first: their streams are corrupt, as a peer that timed
   * out would have closed them anyway.
   */
  public void forward() {
    List<Socket> toClose = List.of();
    synchronized (lock) {
      refusing = false;
      if (blackholed) {
        blackholed = false;
        toClose = new ArrayList<>(open);
        open.clear();
      }
    }
    toClose.forEach(TcpProxy::closeQuietly);
  }

  /** Forwards new connections to another backend port. */
  public void forwardTo(int port) {
    synchronized (lock) {
      backendPort = port;
      refusing = false;
    }
  }

  /** Connections accepted so far, forwarded or refused. */
  public int connectionAttempts() {
    return attempts.get();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    List<Socket> toClose;
    synchronized (lock) {
      toClose = new ArrayList<>(open);
      open.clear();
    }
    toClose.forEach(TcpProxy::closeQuietly);
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      attempts.incrementAndGet();
      boolean refuseNow;
      int port;
      synchronized (lock) {
        refuseNow = refusing;
        port = backendPort;
      }
      if (refuseNow) {
        closeQuietly(client);
        continue;
      }
      if (blackholed) {
        synchronized (lock) {
          // Decided again under the lock that forward() and close() empty the list under: a
          // connection they cannot see would stay silent for good.
          if (!blackholed || closed) {
            closeQuietly(client);
            continue;
          }
          open.add(client);
        }
        pump(client, null);
        continue;
      }
      Socket backend = new Socket();
      try {
        backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(backend);
        continue;
      }
      synchronized (lock) {
        if (refusing || closed) {
          closeQuietly(client);
          closeQuietly(backend);
          continue;
        }
        open.add(client);
        open.add(backend);
      }
      pump(client, backend);
      pump(backend, client);
    }
  }

  /** Copies {@code from} to {@code to}, or drops what it reads while black-holed or to is null. */
  private void pump(Socket from, @Nullable Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream()) {
                OutputStream out =
                    to == null ? OutputStream.nullOutputStream() : to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                  if (!blackholed) {
                    out.write(buf, 0, n);
                    out.flush();
                  }
                }
              } catch (IOException e) {
                // One side closed: close both below.
              } finally {
                closeQuietly(from);
                if (to != null) {
                  closeQuietly(to);
                }
              }
            },
            "tcp-proxy-pump-" + port());
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // Closing during a fault is expected to fail sometimes.
    }
  }
}
