package dev.lifeline.http.internal;

import dev.lifeline.core.spi.LatencyHistogram;
import dev.lifeline.http.ErrorType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one {@link DefaultHttpClient}: its pool and health gauges (removed on close) and
 * its per-attempt counters and timers.
 *
 * <p>Thread-safe: Micrometer's meters are; {@link #lastHealth} is atomic and the list of own meters
 * is filled in the constructor and only read after.
 */
final class HttpMeters {

  /** Tells same-name clients' gauges apart, so that neither reads nor removes the other's. */
  private static final AtomicLong INSTANCES = new AtomicLong();

  private final MeterRegistry meters;
  private final String name;
  private final String instance = Long.toString(INSTANCES.incrementAndGet());
  private final List<Meter> ownMeters = new ArrayList<>();
  private final AtomicInteger lastHealth = new AtomicInteger(-1);

  HttpMeters(MeterRegistry meters, String name, PoolingHttpClientConnectionManager pool) {
    this.meters = meters;
    this.name = name;
    gauge(
        "lifeline.http.pool.leased",
        "Pooled connections in use",
        pool,
        p -> p.getTotalStats().getLeased());
    gauge(
        "lifeline.http.pool.available",
        "Pooled connections idle and reusable",
        pool,
        p -> p.getTotalStats().getAvailable());
    gauge(
        "lifeline.http.pool.pending",
        "Requests waiting for a pooled connection",
        pool,
        p -> p.getTotalStats().getPending());
    gauge(
        "lifeline.http.pool.max",
        "Most pooled connections allowed",
        pool,
        p -> p.getTotalStats().getMax());
    gauge(
        "lifeline.http.health",
        "1 if the last health check passed, 0 if it failed, -1 before the first",
        lastHealth,
        AtomicInteger::get);
    // At 0 from the start, so that rate() sees the first check and a panel shows 0, not no data.
    healthChecks(true);
    healthChecks(false);
  }

  private <T> void gauge(String meter, String description, T obj, ToDoubleFunction<T> f) {
    ownMeters.add(
        Gauge.builder(meter, obj, f)
            .description(description)
            .tag("client", name)
            .tag("client_instance", instance)
            .register(meters));
  }

  private Counter healthChecks(boolean healthy) {
    return Counter.builder("lifeline.http.health.checks")
        .description("Health checks made, by result")
        .tag("client", name)
        .tag("result", healthy ? "healthy" : "unhealthy")
        .register(meters);
  }

  /** Records a health check's result: the gauge and the counter. */
  void health(boolean healthy) {
    lastHealth.set(healthy ? 1 : 0);
    healthChecks(healthy).increment();
  }

  /** Counts one attempt; {@code status} is -1 without an answer, {@code type} null on success. */
  void count(String method, int status, String outcome, @Nullable ErrorType type) {
    Counter.builder("lifeline.http.requests")
        .description("HTTP attempts by method, status class, outcome and error type")
        .tag("client", name)
        .tag("method", method)
        .tag("status_class", HttpClassifier.statusClass(status))
        .tag("outcome", outcome)
        .tag("error_type", type == null ? "none" : type.value())
        .register(meters)
        .increment();
  }

  /** Records one attempt's latency. */
  void time(String method, int status, long nanos) {
    LatencyHistogram.buckets(Timer.builder("lifeline.http.request.duration"))
        .description("HTTP attempt latency")
        .tag("client", name)
        .tag("method", method)
        .tag("status_class", HttpClassifier.statusClass(status))
        .register(meters)
        .record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  /** Removes the gauges (the counters and timers stay, as Micrometer's cumulative series). */
  void remove() {
    ownMeters.forEach(meters::remove);
  }
}
