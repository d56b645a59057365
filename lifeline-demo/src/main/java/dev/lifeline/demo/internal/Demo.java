package dev.lifeline.demo.internal;

import com.sun.net.httpserver.HttpServer;
import dev.lifeline.examples.aimodel.proto.AiModelGrpc;
import dev.lifeline.examples.aimodel.proto.ExtractRequest;
import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;

/**
 * {@code ./lifeline demo}: starts the example services in this JVM on loopback, runs a client
 * workload through them while scripted faults happen, prints one line per second, serves Prometheus
 * metrics and a status page, and ends with a summary, an HTML report and the line {@code demo: N
 * calls, F failed, report: PATH}. Not thread-safe; one run at a time.
 */
public final class Demo {

  private static final int WORKERS = 4;
  private static final long CALL_PAUSE_MS = 20;

  /** A call of the workload; returns how many attempts and NOT_ACTIVE answers it took. */
  @FunctionalInterface
  interface DemoCall {
    Outcome call() throws Exception;
  }

  /**
   * What a successful call took.
   *
   * @param attempts attempts including the first
   * @param notActive NOT_ACTIVE answers among them
   */
  record Outcome(int attempts, int notActive) {
    static final Outcome FIRST_TRY = new Outcome(1, 0);
  }

  /**
   * A fault's recovery.
   *
   * @param fault what happened
   * @param recoveryMs milliseconds until the service answered again, or -1 if it did not
   * @param measuredFrom what the time is measured from
   */
  record Recovery(String fault, long recoveryMs, String measuredFrom) {}

  /**
   * A scripted fault.
   *
   * @param atMillis when it starts, ms after the workload starts
   * @param action what it does, including waiting for the recovery
   */
  record Fault(long atMillis, FaultAction action) {}

  /** The body of a fault. */
  @FunctionalInterface
  interface FaultAction {
    void run() throws Exception;
  }

  private Demo() {}

  private static void runScript(
      List<Fault> script, Timeline timeline, AtomicBoolean running, PrintStream out) {
    try {
      for (Fault f : script) {
        while (running.get() && timeline.nowMillis() < f.atMillis()) {
          Thread.sleep(10);
        }
        if (!running.get()) {
          return;
        }
        f.action().run();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      out.println("fault script stopped: " + e);
    }
  }

  /** Runs the demo described by {@code cli}; returns the exit status. */
  public static int run(Cli cli, PrintStream out) throws Exception {
    if (cli.nats().isPresent()) {
      Nats.requireReachable(cli.nats().get());
    }
    Duration duration = cli.duration();
    Random random = new Random(cli.seed());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    List<Recovery> recoveries = new CopyOnWriteArrayList<>();
    List<AutoCloseable> closeables = new ArrayList<>();
    long channelsBefore = Channels.CREATED.get();
    try {
      out.println("lifeline demo: " + duration.toSeconds() + " s, seed " + cli.seed());
      ChannelStory.run(out);
      Timeline timeline = new Timeline();

      ItemBackend item = new ItemBackend(0).start();
      closeables.add(item);
      AiBackend ai = new AiBackend();
      closeables.add(ai);
      StorageBackend storage = new StorageBackend();
      closeables.add(storage);

      ManagedChannel itemChannel = Channels.plain(item.target());
      closeables.add(() -> Channels.close(itemChannel));
      ItemServiceGrpc.ItemServiceBlockingStub itemStub =
          ItemServiceGrpc.newBlockingStub(itemChannel);
      Metadata dapr = new Metadata();
      dapr.put(AiBackend.APP_ID_KEY, AiBackend.APP_ID);
      ManagedChannel aiChannel = Channels.plain(ai.target());
      closeables.add(() -> Channels.close(aiChannel));
      AiModelGrpc.AiModelBlockingStub aiStub =
          AiModelGrpc.newBlockingStub(aiChannel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(dapr));
      CloseableHttpClient http = HttpScenario.pooledClient();
      closeables.add(http);
      String storageUri = storage.baseUri() + "/objects/";

      List<String> services = List.of("item", "ai-model", "storage");
      List<DemoCall> calls =
          List.of(
              () -> {
                itemStub
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .getItemDetail(
                        GetItemDetailRequest.newBuilder()
                            .setTenantId("t1")
                            .setStoreCode("s1")
                            .setItemCode("49" + random.nextInt(1000))
                            .build());
                return Outcome.FIRST_TRY;
              },
              () -> {
                aiStub
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .extract(ExtractRequest.newBuilder().setContent("leaf").build());
                return Outcome.FIRST_TRY;
              },
              () -> {
                HttpScenario.get(http, storageUri + "o" + random.nextInt(100));
                return Outcome.FIRST_TRY;
              });
      out.println(
          "client: plain grpc-java channels and a raw pooled HttpClient "
              + "(lifeline clients: not available in this build)");
      out.println(
          "order service group: not available in this build "
              + "(crash and graceful-handover faults are skipped)");

      Supplier<String> breaker = () -> "n/a";
      Supplier<String> active = () -> "n/a";
      HttpServer status = statusServer(registry, timeline, breaker, active);
      closeables.add(() -> status.stop(0));
      out.println(
          "metrics: http://127.0.0.1:"
              + status.getAddress().getPort()
              + "/metrics  status: http://127.0.0.1:"
              + status.getAddress().getPort()
              + "/");

      AtomicBoolean running = new AtomicBoolean(true);
      List<Thread> workers = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        int first = w;
        Thread t =
            new Thread(
                () -> work(first, services, calls, timeline, registry, running),
                "demo-worker-" + w);
        t.setDaemon(true);
        workers.add(t);
        t.start();
      }

      long endMillis = duration.toMillis();
      List<Fault> script = new ArrayList<>();
      script.add(
          new Fault(
              endMillis * 15 / 100,
              () -> {
                timeline.fault("ItemService restart", "item");
                out.println("fault: ItemService stops for 1.5 s, then restarts on the same port");
                item.stop();
                Thread.sleep(1500);
                item.start();
                long back = timeline.nowMillis();
                recoveries.add(
                    new Recovery(
                        "ItemService restart",
                        awaitSuccess(timeline, "item", back, out),
                        "server back"));
              }));
      script.add(
          new Fault(
              endMillis * 70 / 100,
              () -> {
                timeline.fault("Storage 5xx burst", "storage");
                out.println("fault: Storage answers 503 for 3 s");
                storage.failing(true);
                Thread.sleep(3000);
                storage.failing(false);
                long back = timeline.nowMillis();
                recoveries.add(
                    new Recovery(
                        "Storage 5xx burst",
                        awaitSuccess(timeline, "storage", back, out),
                        "burst end"));
              }));
      Thread faults = new Thread(() -> runScript(script, timeline, running, out), "demo-faults");
      faults.setDaemon(true);
      faults.start();
      long nextSecond = 1000;
      while (timeline.nowMillis() < endMillis) {
        long now = timeline.nowMillis();
        if (now >= nextSecond) {
          Timeline.Second s = timeline.closeSecond(breaker.get(), active.get());
          out.println(line(s));
          nextSecond += 1000;
        } else {
          Thread.sleep(Math.min(50, nextSecond - now));
        }
      }
      // A fault still running finishes first, so that its recovery is measured.
      faults.join(30_000);
      running.set(false);
      for (Thread t : workers) {
        t.join(10_000);
      }
      timeline.closeSecond(breaker.get(), active.get());

      long channels = Channels.CREATED.get() - channelsBefore;
      List<String[]> summary = new ArrayList<>();
      summary.add(new String[] {"calls", Long.toString(timeline.totalCalls())});
      summary.add(new String[] {"failed calls", Long.toString(timeline.totalFailed())});
      for (String s : services) {
        summary.add(new String[] {"  failed: " + s, Long.toString(timeline.failed(s))});
      }
      summary.add(new String[] {"retries", Long.toString(timeline.totalRetries())});
      summary.add(new String[] {"NOT_ACTIVE answers", Long.toString(timeline.totalNotActive())});
      for (Recovery r : recoveries) {
        summary.add(
            new String[] {
              "recovery: " + r.fault(),
              r.recoveryMs() < 0
                  ? "not recovered"
                  : r.recoveryMs() + " ms after " + r.measuredFrom()
            });
      }
      summary.add(new String[] {"channels created (incl. channel story)", Long.toString(channels)});
      out.println();
      out.println("summary");
      for (String[] row : summary) {
        out.printf(Locale.ROOT, "  %-44s %s%n", row[0], row[1]);
      }
      String stamp =
          DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
              .withZone(ZoneOffset.UTC)
              .format(Instant.now());
      Path report = cli.reportDir().resolve("demo-" + stamp + ".html").toAbsolutePath().normalize();
      HtmlReport.write(
          report,
          timeline.seconds(),
          timeline.faults(),
          summary,
          "Lifeline demo " + stamp + " UTC");
      out.println(
          "demo: "
              + timeline.totalCalls()
              + " calls, "
              + timeline.totalFailed()
              + " failed, report: "
              + report);
      return 0;
    } finally {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception e) {
          // Closing the rest matters more than one failed close at exit.
        }
      }
      registry.close();
    }
  }

  private static void work(
      int first,
      List<String> services,
      List<DemoCall> calls,
      Timeline timeline,
      PrometheusMeterRegistry registry,
      AtomicBoolean running) {
    int i = first;
    while (running.get()) {
      int k = i++ % calls.size();
      String service = services.get(k);
      long t0 = System.nanoTime();
      boolean ok;
      Outcome o = Outcome.FIRST_TRY;
      try {
        o = calls.get(k).call();
        ok = true;
      } catch (Exception e) {
        ok = false;
      }
      long nanos = System.nanoTime() - t0;
      timeline.record(service, nanos, ok, o.attempts(), o.notActive());
      Counter.builder("lifeline.demo.calls")
          .description("Calls made by the demo workload")
          .tag("service", service)
          .tag("outcome", ok ? "success" : "failure")
          .register(registry)
          .increment();
      Timer.builder("lifeline.demo.call.duration")
          .tag("service", service)
          .publishPercentiles(0.5, 0.99)
          .register(registry)
          .record(nanos, TimeUnit.NANOSECONDS);
      try {
        Thread.sleep(CALL_PAUSE_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Waits up to 15 s for a success of {@code service} after {@code fromMillis}. */
  private static long awaitSuccess(
      Timeline timeline, String service, long fromMillis, PrintStream out)
      throws InterruptedException {
    long bound = fromMillis + 15_000;
    while (timeline.nowMillis() < bound) {
      long last = timeline.lastSuccessMillis(service);
      if (last >= fromMillis) {
        long ms = last - fromMillis;
        out.println("recovered: " + service + " answers again " + ms + " ms later");
        return ms;
      }
      Thread.sleep(10);
    }
    out.println("recovered: " + service + " did not answer within 15 s");
    return -1;
  }

  static String line(Timeline.Second s) {
    return String.format(
        Locale.ROOT,
        "%4ds  calls/s %5d  p99 %7.1f ms  failed %4d  retries %4d  NOT_ACTIVE %3d  breaker %-9s  active %s",
        s.second(),
        s.calls(),
        s.p99Millis(),
        s.failed(),
        s.retries(),
        s.notActive(),
        s.breaker(),
        s.active());
  }

  private static HttpServer statusServer(
      PrometheusMeterRegistry registry,
      Timeline timeline,
      Supplier<String> breaker,
      Supplier<String> active)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext(
        "/metrics",
        ex -> {
          byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        });
    server.createContext(
        "/",
        ex -> {
          String html =
              "<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"1\">"
                  + "<title>Lifeline demo status</title></head><body><h1>Lifeline demo</h1><table border=\"1\">"
                  + "<tr><th>calls</th><td>"
                  + timeline.totalCalls()
                  + "</td></tr><tr><th>failed</th><td>"
                  + timeline.totalFailed()
                  + "</td></tr><tr><th>OrderService group: active</th><td>"
                  + HtmlReport.esc(active.get())
                  + "</td></tr><tr><th>Storage breaker</th><td>"
                  + HtmlReport.esc(breaker.get())
                  + "</td></tr></table><p><a href=\"/metrics\">/metrics</a></p></body></html>";
          byte[] body = html.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        });
    server.start();
    return server;
  }
}
