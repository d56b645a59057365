package dev.lifeline.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/** A real HTTP(S) server on 127.0.0.1 with a scripted handler that counts what it receives. */
final class TestHttpServer implements AutoCloseable {

  /** What the server does for one request. */
  interface Handler {
    Reply handle(HttpExchange exchange) throws Exception;
  }

  /** One answer. */
  record Reply(int status, Map<String, String> headers, String body) {
    static Reply of(int status) {
      return new Reply(status, Map.of(), "");
    }

    static Reply of(int status, String body) {
      return new Reply(status, Map.of("Content-Type", "text/plain"), body);
    }

    Reply header(String name, String value) {
      Map<String, String> h = new java.util.LinkedHashMap<>(headers);
      h.put(name, value);
      return new Reply(status, h, body);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(48);
  private volatile Handler handler = ex -> Reply.of(200, "ok");
  final AtomicInteger requests = new AtomicInteger();
  final ConcurrentLinkedQueue<String> paths = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<Integer> clientPorts = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<Map<String, List<String>>> headers = new ConcurrentLinkedQueue<>();

  private TestHttpServer(HttpServer server) {
    this.server = server;
    server.setExecutor(executor);
    server.createContext("/", this::serve);
    server.start();
  }

  static TestHttpServer http() {
    try {
      return new TestHttpServer(
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TestHttpServer https(SSLContext ssl, boolean needClientAuth) {
    try {
      HttpsServer s =
          HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
      s.setHttpsConfigurator(
          new HttpsConfigurator(ssl) {
            @Override
            public void configure(HttpsParameters params) {
              SSLParameters p = ssl.getDefaultSSLParameters();
              p.setNeedClientAuth(needClientAuth);
              params.setSSLParameters(p);
            }
          });
      return new TestHttpServer(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String baseUrl() {
    String scheme = server instanceof HttpsServer ? "https" : "http";
    return scheme + "://127.0.0.1:" + server.getAddress().getPort();
  }

  void handle(Handler h) {
    this.handler = h;
  }

  /** Answers with the replies in order, repeating the last one. */
  void replies(Reply... replies) {
    AtomicInteger i = new AtomicInteger();
    handle(ex -> replies[Math.min(i.getAndIncrement(), replies.length - 1)]);
  }

  int requestsTo(String path) {
    return (int) paths.stream().filter(path::equals).count();
  }

  private void serve(HttpExchange ex) throws IOException {
    try (ex) {
      ex.getRequestBody().readAllBytes();
      requests.incrementAndGet();
      paths.add(ex.getRequestURI().getPath());
      clientPorts.add(ex.getRemoteAddress().getPort());
      headers.add(Map.copyOf(ex.getRequestHeaders()));
      Reply r;
      try {
        r = handler.handle(ex);
      } catch (Exception e) {
        r = Reply.of(500, "handler failed: " + e);
      }
      r.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
      byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(r.status(), body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        ex.getResponseBody().write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
