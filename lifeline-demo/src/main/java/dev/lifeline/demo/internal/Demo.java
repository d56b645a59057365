package dev.lifeline.demo.internal;

import com.sun.net.httpserver.HttpServer;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.ExhaustedCall;
import dev.lifeline.core.Jitter;
import dev.lifeline.core.RetryBudget;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.examples.aimodel.proto.AiModelGrpc;
import dev.lifeline.examples.aimodel.proto.ExtractRequest;
import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.examples.order.proto.OrderServiceGrpc;
import dev.lifeline.examples.order.proto.ProcessOrderRequest;
import dev.lifeline.examples.order.proto.ProcessOrderResponse;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineCalls;
import dev.lifeline.grpc.LifelineChannel;
import dev.lifeline.grpc.StickyGroupChannel;
import dev.lifeline.http.HttpClientConfig;
import dev.lifeline.http.HttpRequest;
import dev.lifeline.http.LifelineHttpClient;
import dev.lifeline.http.LifelineHttpException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * {@code ./lifeline demo}: starts the example services in this JVM on loopback, runs a client
 * workload through them while scripted faults happen, prints one line per second, serves Prometheus
 * metrics and a status page, and ends with a summary, an HTML report and the line {@code demo: N
 * calls, F failed, report: PATH}. Not thread-safe; one run at a time.
 */
public final class Demo {

  /** Workers per service: each service has its own, so one outage does not stall the others. */
  private static final int WORKERS_PER_SERVICE = 1;

  private static final long CALL_PAUSE_MS = 20;

  /** At most this many failed calls print their report line; the rest are counted. */
  private static final int FAILURES_PRINTED = 20;

  // Each call has a 5 s deadline; the wait bound only guards against a call never completing.

  /** A call of the workload; returns OK or DEGRADED, throws when it failed for its user. */
  @FunctionalInterface
  interface DemoCall {
    Timeline.Outcome call() throws Exception;
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

  /**
   * The last order served.
   *
   * @param millis when, ms since the workload started
   * @param by the instance that processed it
   */
  record Served(long millis, String by) {}

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
    try {
      out.println(
          "lifeline demo: "
              + duration.toSeconds()
              + " s, seed "
              + cli.seed()
              + ", lease store "
              + (cli.nats().isPresent() ? cli.nats().get() : "in memory"));
      // Every service runs on loopback in this JVM, without TLS.
      ChannelPool pool = Channels.plaintextPool(registry);
      closeables.add(pool);
      ChannelStory.run(out, pool, registry);

      // The services, each in this JVM on 127.0.0.1.
      ItemBackend item = new ItemBackend(0).start();
      closeables.add(item);
      AiBackend ai = new AiBackend();
      closeables.add(ai);
      StorageBackend storage = new StorageBackend();
      closeables.add(storage);
      LeaseStore store = FailoverScenario.store(cli.nats().orElse(null));
      closeables.add(store);
      OrderGroup orders = new OrderGroup(3, store, ActiveOptions.defaults(), registry).start();
      closeables.add(orders);
      FailoverScenario.awaitActive(orders);

      // The clients, all through Lifeline. Retries cover a short restart: up to 10 attempts, 100 ms
      // doubling to 1 s with full jitter, always bounded by the 5 s call deadline.
      RetryPolicy retry =
          RetryPolicy.builder()
              .maxAttempts(10)
              .backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, Jitter.full())
              .build();
      // The gRPC breakers judge 100 calls, so a 1.5 s restart ridden out by retries does not open
      // them; they still open if a dependency fails for good.
      CircuitBreakers breakers =
          CircuitBreakers.builder()
              .slidingWindowSize(100)
              .minimumNumberOfCalls(50)
              .waitDurationInOpenState(Duration.ofSeconds(3))
              .meterRegistry(registry)
              .build();
      // Storage gets its own breakers so that its state is not mixed with the gRPC targets'.
      CircuitBreakers storageBreakers =
          CircuitBreakers.builder()
              .waitDurationInOpenState(Duration.ofSeconds(3))
              .meterRegistry(registry)
              .build();
      // The retry budget keeps its 20 % ratio; a reserve of 10 retries per second lets the few
      // callers of a quiet client ride out a restart in the first seconds of the run.
      Supplier<RetryBudget> budget =
          () -> RetryBudget.builder().ratio(0.2).minRetriesPerSecond(10).build();
      LifelineCalls itemCalls =
          LifelineCalls.builder()
              .service("item-master")
              .retryPolicy(retry)
              .retryBudget(budget)
              .circuitBreakers(breakers)
              .meterRegistry(registry)
              .build();
      LifelineChannel itemLease = pool.lease(item.target());
      closeables.add(itemLease);
      ItemServiceGrpc.ItemServiceBlockingStub itemStub =
          ItemServiceGrpc.newBlockingStub(itemCalls.intercept(itemLease));
      LifelineCalls aiCalls =
          LifelineCalls.builder()
              .service(AiBackend.APP_ID)
              .retryPolicy(retry)
              .retryBudget(budget)
              .circuitBreakers(breakers)
              .header("dapr-app-id", AiBackend.APP_ID)
              .meterRegistry(registry)
              .build();
      LifelineChannel aiLease = pool.lease(ai.target());
      closeables.add(aiLease);
      AiModelGrpc.AiModelBlockingStub aiStub =
          AiModelGrpc.newBlockingStub(aiCalls.intercept(aiLease));
      StickyGroupChannel.Builder sticky =
          StickyGroupChannel.builder("orders")
              .callPolicy(
                  StickyGroupChannel.defaultPolicy("orders").meterRegistry(registry).build());
      for (String address : orders.addresses()) {
        LifelineChannel lease = pool.lease(address);
        closeables.add(lease);
        sticky.member(address, lease);
      }
      StickyGroupChannel orderChannel = sticky.build();
      closeables.add(orderChannel);
      OrderServiceGrpc.OrderServiceBlockingStub orderStub =
          OrderServiceGrpc.newBlockingStub(orderChannel);
      LifelineHttpClient http =
          LifelineHttpClient.create(
              HttpClientConfig.builder(storage.baseUri())
                  .callPolicy(
                      CallPolicy.builder()
                          .service("storage")
                          .circuitBreakers(storageBreakers)
                          .meterRegistry(registry)
                          .build())
                  .build());
      closeables.add(http);

      List<String> services = List.of("item", "order", "ai-model", "storage");
      Timeline timeline = new Timeline(services);
      AtomicReference<Served> lastOrder = new AtomicReference<>(new Served(-1, "-"));
      AtomicLong orderSeq = new AtomicLong();
      List<DemoCall> calls =
          List.of(
              () -> {
                itemStub
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .getItemDetail(
                        GetItemDetailRequest.newBuilder()
                            .setTenantId("t1")
                            .setStoreCode("s1")
                            .setItemCode("49" + random.nextInt(1000))
                            .build());
                return Timeline.Outcome.OK;
              },
              () -> {
                ProcessOrderResponse r =
                    orderStub
                        .withDeadlineAfter(5, TimeUnit.SECONDS)
                        .processOrder(
                            ProcessOrderRequest.newBuilder()
                                .setOrderId("o-" + orderSeq.incrementAndGet())
                                .setAmountCents(100 + random.nextInt(900))
                                .build());
                lastOrder.set(new Served(timeline.nowMillis(), r.getProcessedBy()));
                return Timeline.Outcome.OK;
              },
              () -> {
                aiStub
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .extract(ExtractRequest.newBuilder().setContent("leaf").build());
                return Timeline.Outcome.OK;
              },
              () -> {
                try {
                  http.execute(HttpRequest.get("/objects/o" + random.nextInt(100)));
                  return Timeline.Outcome.OK;
                } catch (LifelineHttpException e) {
                  // Degrade as LADON's reader does: serve the cached copy while Storage fails or
                  // the breaker is open. The user gets an answer, but not a fresh one: degraded.
                  return Timeline.Outcome.DEGRADED;
                }
              });
      List<String[]> serviceRows = new ArrayList<>();
      serviceRows.add(new String[] {"item", "item-master", "ItemService", item.target()});
      List<String[]> members = orders.members();
      for (String[] m : members) {
        serviceRows.add(new String[] {"order", "orders", "OrderService " + m[0], m[1]});
      }
      serviceRows.add(
          new String[] {
            "ai-model",
            AiBackend.APP_ID,
            "AiModel (dapr-app-id " + AiBackend.APP_ID + ")",
            ai.target()
          });
      serviceRows.add(
          new String[] {"storage", "storage", "Storage HTTP", storage.baseUri().toString()});
      out.println("services (workload name, Lifeline service, server, address):");
      for (String[] row : serviceRows) {
        out.printf(Locale.ROOT, "  %-9s %-12s %-28s %s%n", row[0], row[1], row[2], row[3]);
      }

      Supplier<String> breaker = () -> breakerState(storageBreakers);
      Supplier<String> active = orders::activeId;
      HttpServer status =
          statusServer(registry, timeline, orders, serviceRows, List.of(breakers, storageBreakers));
      closeables.add(() -> status.stop(0));
      String base = "http://127.0.0.1:" + status.getAddress().getPort();
      out.println("metrics: " + base + "/metrics  status: " + base + "/");

      AtomicBoolean running = new AtomicBoolean(true);
      Failures failures = new Failures(out);
      List<Thread> workers = new ArrayList<>();
      for (int k = 0; k < services.size(); k++) {
        for (int w = 0; w < WORKERS_PER_SERVICE; w++) {
          String service = services.get(k);
          DemoCall call = calls.get(k);
          Thread t =
              new Thread(
                  () -> work(service, call, timeline, failures, running),
                  "demo-" + service + "-" + w);
          t.setDaemon(true);
          workers.add(t);
          t.start();
        }
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
                long ms = awaitSuccess(timeline, "item", back, out);
                if (ms >= 0) {
                  timeline.recovered("ItemService restart", back + ms);
                }
                recoveries.add(new Recovery("ItemService restart", ms, "server back"));
              }));
      script.add(
          new Fault(
              endMillis * 35 / 100,
              () -> failover(orders, timeline, lastOrder, recoveries, out, true)));
      script.add(
          new Fault(
              endMillis * 55 / 100,
              () -> failover(orders, timeline, lastOrder, recoveries, out, false)));
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
                long closedAt = -1;
                long bound = back + 20_000;
                while (timeline.nowMillis() < bound) {
                  if ("CLOSED".equals(breaker.get())) {
                    closedAt = timeline.nowMillis();
                    break;
                  }
                  Thread.sleep(10);
                }
                long ms = closedAt < 0 ? -1 : closedAt - back;
                if (closedAt >= 0) {
                  timeline.recovered("Storage 5xx burst", closedAt);
                }
                out.println(
                    ms < 0
                        ? "recovered: the Storage breaker did not close within 20 s"
                        : "recovered: the Storage breaker is CLOSED again "
                            + ms
                            + " ms after the burst");
                recoveries.add(new Recovery("Storage 5xx burst (breaker closed)", ms, "burst end"));
              }));
      Thread faults = new Thread(() -> runScript(script, timeline, running, out), "demo-faults");
      faults.setDaemon(true);
      faults.start();
      long nextSecond = 1000;
      // The run lasts the duration; a fault still running finishes first, so that its recovery is
      // measured and printed like the rest.
      while (timeline.nowMillis() < endMillis || faults.isAlive()) {
        long now = timeline.nowMillis();
        if (now > endMillis + 60_000) {
          break;
        }
        if (now >= nextSecond) {
          Timeline.Second sec =
              timeline.closeSecond(
                  breaker.get(), active.get(), retries(registry), notActive(registry));
          out.println(line(sec));
          nextSecond += 1000;
        } else {
          Thread.sleep(Math.min(50, nextSecond - now));
        }
      }
      running.set(false);
      for (Thread t : workers) {
        t.join(10_000);
      }
      timeline.closeSecond(breaker.get(), active.get(), retries(registry), notActive(registry));

      long channels = (long) sum(registry, "lifeline.channel.creations");
      List<String[]> summary = new ArrayList<>();
      summary.add(
          new String[] {
            "calls",
            timeline.totalCalls()
                + " ("
                + (timeline.totalCalls() - timeline.totalDegraded() - timeline.totalFailed())
                + " ok, "
                + timeline.totalDegraded()
                + " degraded, "
                + timeline.totalFailed()
                + " failed)"
          });
      for (String svc : services) {
        summary.add(new String[] {"  " + svc, serviceSummary(timeline, svc)});
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
      summary.add(
          new String[] {
            "channels created (Lifeline pool, incl. channel story)", Long.toString(channels)
          });
      out.println();
      out.println("summary");
      for (String[] row : summary) {
        out.printf(Locale.ROOT, "  %-54s %s%n", row[0], row[1]);
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
              + " failed, "
              + timeline.totalDegraded()
              + " degraded, report: "
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

  private static void failover(
      OrderGroup orders,
      Timeline timeline,
      AtomicReference<Served> lastOrder,
      List<Recovery> recoveries,
      PrintStream out,
      boolean crash)
      throws Exception {
    FailoverScenario.awaitActive(orders);
    String name = crash ? "active OrderService crash" : "graceful handover";
    timeline.fault(name, "order");
    long t0 = timeline.nowMillis();
    String old = crash ? orders.crashActive() : orders.handOver();
    out.println(
        crash
            ? "fault: active OrderService " + old + " crashes without releasing its lease"
            : "fault: active OrderService " + old + " hands over gracefully");
    long ms = -1;
    while (timeline.nowMillis() < t0 + 15_000) {
      Served s = lastOrder.get();
      if (s.millis() >= t0 && !s.by().equals(old)) {
        ms = s.millis() - t0;
        timeline.recovered(name, s.millis());
        out.println("recovered: orders served by " + s.by() + " " + ms + " ms after the fault");
        break;
      }
      Thread.sleep(5);
    }
    recoveries.add(new Recovery(name, ms, "fault"));
    orders.restart(old);
    out.println("restart: " + old + " is back as a standby");
  }

  /** The worst state among {@code breakers}: OPEN, then HALF_OPEN, else CLOSED. */
  private static String breakerState(CircuitBreakers breakers) {
    String state = "CLOSED";
    for (CircuitBreaker b : breakers.registry().getAllCircuitBreakers()) {
      if (b.getState() == CircuitBreaker.State.OPEN) {
        return "OPEN";
      }
      if (b.getState() != CircuitBreaker.State.CLOSED) {
        state = b.getState().name();
      }
    }
    return state;
  }

  private static double sum(MeterRegistry registry, String name) {
    double n = 0;
    for (Meter m : registry.find(name).meters()) {
      if (m instanceof Counter c) {
        n += c.count();
      } else if (m instanceof DistributionSummary d) {
        n += d.totalAmount();
      }
    }
    return n;
  }

  private static long retries(MeterRegistry registry) {
    return (long) (sum(registry, "lifeline.retries") + sum(registry, "lifeline.sticky.retries"));
  }

  private static long notActive(MeterRegistry registry) {
    return (long) sum(registry, "lifeline.sticky.not_active");
  }

  private static void work(
      String service, DemoCall call, Timeline timeline, Failures failures, AtomicBoolean running) {
    while (running.get()) {
      long t0 = System.nanoTime();
      Timeline.Outcome outcome;
      try {
        outcome = call.call();
      } catch (Exception e) {
        outcome = Timeline.Outcome.FAILED;
        failures.print(service, timeline.nowMillis(), e);
      }
      timeline.record(service, System.nanoTime() - t0, outcome);
      try {
        Thread.sleep(CALL_PAUSE_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** One summary cell: what happened to {@code service}'s calls. */
  private static String serviceSummary(Timeline timeline, String service) {
    long ok = timeline.count(service, Timeline.Outcome.OK);
    long degraded = timeline.count(service, Timeline.Outcome.DEGRADED);
    long failed = timeline.count(service, Timeline.Outcome.FAILED);
    return String.format(
        Locale.ROOT,
        "%d calls: %d ok, %d degraded%s, %d failed",
        ok + degraded + failed,
        ok,
        degraded,
        degraded > 0 ? " (served from cache)" : "",
        failed);
  }

  /**
   * Prints why a call failed: the {@code LifelineCallException} or {@code LifelineHttpException}
   * report line (attempts, stop reason, target), or the exception itself when Lifeline did not
   * produce the failure. The first {@value #FAILURES_PRINTED} are printed. Thread-safe.
   */
  static final class Failures {
    private final PrintStream out;
    private final AtomicLong count = new AtomicLong();

    Failures(PrintStream out) {
      this.out = out;
    }

    void print(String service, long millis, Throwable e) {
      long n = count.incrementAndGet();
      if (n > FAILURES_PRINTED) {
        return;
      }
      out.printf(
          Locale.ROOT,
          "failed: %s at %.1f s: %s%s%n",
          service,
          millis / 1000.0,
          reason(e),
          n == FAILURES_PRINTED ? " (further failures are counted, not printed)" : "");
    }

    /** The report line of the Lifeline failure in {@code e}'s causes, else {@code e} itself. */
    static String reason(Throwable e) {
      for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
        if (c instanceof ExhaustedCall x) {
          return x.report().message();
        }
      }
      return e.getClass().getSimpleName() + ": " + e.getMessage();
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
    List<String> waiting = new ArrayList<>();
    s.byService()
        .forEach(
            (svc, n) -> {
              if (n == 0) {
                waiting.add(svc);
              }
            });
    return String.format(
            Locale.ROOT,
            "%4ds  calls/s %4d  p99 %7.1f ms  degraded %3d  failed %3d  retries %3d  NOT_ACTIVE %3d"
                + "  breaker %-9s  active %s",
            s.second(),
            s.calls(),
            s.p99Millis(),
            s.degraded(),
            s.failed(),
            s.retries(),
            s.notActive(),
            s.breaker(),
            s.active())
        // A service whose workers finished no call this second is waiting on it (a restart or
        // failover in progress, retried within the 5 s deadline): say so instead of showing 0.
        + (waiting.isEmpty() ? "" : "  waiting on: " + String.join(", ", waiting));
  }

  private static HttpServer statusServer(
      PrometheusMeterRegistry registry,
      Timeline timeline,
      OrderGroup orders,
      List<String[]> services,
      List<CircuitBreakers> breakers)
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
          StringBuilder html =
              new StringBuilder(
                  "<!doctype html><html><head><meta charset=\"utf-8\">"
                      + "<meta http-equiv=\"refresh\" content=\"1\">"
                      + "<title>Lifeline demo status</title></head><body><h1>Lifeline demo</h1>");
          html.append("<p>calls ")
              .append(timeline.totalCalls())
              .append(", degraded ")
              .append(timeline.totalDegraded())
              .append(", failed ")
              .append(timeline.totalFailed())
              .append("</p><h2>Services</h2>");
          row(html, "th", "workload", "Lifeline service", "server", "address");
          for (String[] r : services) {
            row(html, "td", r);
          }
          html.append("</table><h2>OrderService group</h2>");
          row(html, "th", "member id", "address", "role");
          for (String[] m : orders.roles()) {
            row(html, "td", m);
          }
          html.append("</table><h2>Circuit breakers</h2>");
          row(html, "th", "service", "target", "state", "failure rate");
          for (CircuitBreaker b :
              breakers.stream()
                  .flatMap(c -> c.registry().getAllCircuitBreakers().stream())
                  .toList()) {
            // Lifeline names a breaker "service target".
            String[] name = b.getName().split(" ", 2);
            row(
                html,
                "td",
                name[0],
                name.length > 1 ? name[1] : "",
                b.getState().name(),
                String.format(Locale.ROOT, "%.0f%%", Math.max(0, b.getMetrics().getFailureRate())));
          }
          html.append("</table><p><a href=\"/metrics\">/metrics</a></p></body></html>");
          byte[] body = html.toString().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        });
    server.start();
    return server;
  }

  /** Appends a table row (opening the table before a header row), each cell escaped. */
  private static void row(StringBuilder html, String cell, String... values) {
    if (cell.equals("th")) {
      html.append("<table border=\"1\">");
    }
    html.append("<tr>");
    for (String v : values) {
      html.append('<')
          .append(cell)
          .append('>')
          .append(HtmlReport.esc(v))
          .append("</")
          .append(cell)
          .append('>');
    }
    html.append("</tr>");
  }
}
