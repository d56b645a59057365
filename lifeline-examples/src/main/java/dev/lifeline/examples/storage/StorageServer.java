package dev.lifeline.examples.storage;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lifeline.examples.storage.internal.WatermarkJson;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A small in-memory storage service speaking the watermark API, for the demo and the tests: {@code
 * GET/PUT /api/v1/watermarks/{source_id}} and {@code GET /health}. A source without watermark is a
 * 404 with its own answer, {@code {"error":"watermark_not_found","source_id":...}}, distinct from
 * the 404 of an unknown route ({@code no_such_route}). It can be switched into an outage (every
 * call answers 503) to show the client's breaker and errors.
 *
 * <p>Thread-safe: watermarks live in a concurrent map; the outage switch is volatile.
 */
public final class StorageServer implements AutoCloseable {

  private static final Pattern WATERMARK = Pattern.compile("/api/v1/watermarks/([^/]+)");

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Watermark> watermarks = new ConcurrentHashMap<>();
  private final AtomicInteger apiRequests = new AtomicInteger();
  private volatile boolean outage;
  private volatile @Nullable String lastUpdateBody;

  private StorageServer(HttpServer server, int threads) {
    this.server = server;
    this.executor = Executors.newFixedThreadPool(threads);
    server.setExecutor(executor);
    server.createContext("/", this::serve);
    server.start();
  }

  /**
   * Starts a server on 127.0.0.1 at {@code port} (0 picks a free one).
   *
   * @throws IOException if the port cannot be bound
   */
  public static StorageServer start(int port) throws IOException {
    return new StorageServer(
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50), 8);
  }

  /** The base URL, e.g. {@code http://127.0.0.1:41234}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Makes every call, health included, answer 503 ({@code true}) or work again. */
  public void outage(boolean down) {
    this.outage = down;
  }

  /** Watermark API requests received (health checks not counted). */
  public int apiRequests() {
    return apiRequests.get();
  }

  /** The raw body of the last accepted PUT, or {@code null} before the first. */
  public @Nullable String lastUpdateBody() {
    return lastUpdateBody;
  }

  private void serve(HttpExchange ex) throws IOException {
    try (ex) {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String path = ex.getRequestURI().getPath();
      if (path.equals("/health") && ex.getRequestMethod().equals("GET")) {
        reply(
            ex, outage ? 503 : 200, "{\"status\":\"" + (outage ? "unhealthy" : "healthy") + "\"}");
        return;
      }
      Matcher m = WATERMARK.matcher(path);
      if (!m.matches()) {
        reply(ex, 404, WatermarkJson.error("no_such_route", null));
        return;
      }
      apiRequests.incrementAndGet();
      if (outage) {
        reply(ex, 503, WatermarkJson.error("storage_down", null));
        return;
      }
      String sourceId = m.group(1);
      switch (ex.getRequestMethod()) {
        case "GET" -> {
          Watermark w = watermarks.get(sourceId);
          if (w == null) {
            reply(ex, 404, WatermarkJson.error(WatermarkJson.WATERMARK_NOT_FOUND, sourceId));
          } else {
            reply(ex, 200, WatermarkJson.watermark(w));
          }
        }
        case "PUT" -> {
          WatermarkJson.Update u;
          RunStatus status;
          try {
            u = WatermarkJson.parseUpdate(body);
            status = WatermarkJson.status(u.status());
          } catch (WatermarkJson.InvalidJsonException e) {
            reply(ex, 400, WatermarkJson.error("bad_request", sourceId));
            return;
          }
          lastUpdateBody = body;
          boolean created =
              watermarks.compute(
                      sourceId,
                      (k, old) ->
                          new Watermark(
                              k,
                              u.timestamp(),
                              status == RunStatus.SUCCESS
                                  ? u.timestamp()
                                  : old == null ? null : old.lastSuccessfulTimestamp(),
                              status,
                              u.errorMessage()))
                  != null;
          reply(ex, created ? 200 : 500, "{\"ok\":true}");
        }
        default -> reply(ex, 405, WatermarkJson.error("method_not_allowed", null));
      }
    }
  }

  private static void reply(HttpExchange ex, int status, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
