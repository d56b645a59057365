package dev.lifeline.demo.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The LADON Storage HTTP service on 127.0.0.1: {@code GET /objects/NAME} answers 200 with a small
 * body, 404 for names starting with {@code missing}, and 503 while a 5xx burst is switched on.
 * Thread-safe.
 */
public final class StorageBackend implements AutoCloseable {

  private static final byte[] BODY =
      "{\"object\":\"ok\",\"bytes\":42}".getBytes(StandardCharsets.UTF_8);

  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicLong requests = new AtomicLong();
  private volatile boolean failing;

  /** Starts the service on an ephemeral port. */
  public StorageBackend() throws IOException {
    // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's
    // delayed ACK, adding about 40 ms to every keep-alive request.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
    executor =
        Executors.newFixedThreadPool(
            8,
            r -> {
              Thread t = new Thread(r, "storage-backend");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The base URI, e.g. {@code http://127.0.0.1:PORT}. */
  public String baseUri() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Switches the 5xx burst on or off. */
  public void failing(boolean failing) {
    this.failing = failing;
  }

  /** Requests that reached the server so far. */
  public long requests() {
    return requests.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    try (InputStream in = ex.getRequestBody()) {
      in.readAllBytes();
    }
    int status;
    byte[] body;
    if (failing) {
      status = 503;
      body = "{\"error\":\"storage overloaded\"}".getBytes(StandardCharsets.UTF_8);
    } else if (ex.getRequestURI().getPath().startsWith("/objects/missing")) {
      status = 404;
      body = "{\"error\":\"not found\"}".getBytes(StandardCharsets.UTF_8);
    } else {
      status = 200;
      body = BODY;
    }
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
