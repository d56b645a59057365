package dev.lifeline.examples.storage;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.http.Environment;
import dev.lifeline.http.HttpClientConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A narrated walk through the storage client against a real {@link StorageServer} on loopback: a
 * first run without watermark, an update in a non-UTC offset read back in UTC, then an outage that
 * is reported as such (never as "no watermark") until the breaker opens and nothing more is sent.
 *
 * <p>Used by the {@code lifeline demo} command and its test. Not thread-safe; run once per call.
 */
public final class StorageDemo {

  private StorageDemo() {}

  /** What the walk-through observed. */
  public record Result(
      boolean firstRunEmpty,
      Instant storedWatermark,
      int unavailableErrors,
      int breakerOpenErrors,
      int requestsSentWhileOpen,
      boolean healthyDuringOutage) {}

  /** Runs the walk-through, writing one line per step to {@code out}. */
  public static Result run(Consumer<String> out) throws IOException {
    MeterRegistry meters = new SimpleMeterRegistry();
    try (StorageServer server = StorageServer.start(0);
        StorageClient storage =
            StorageClient.create(
                HttpClientConfig.builder(server.baseUrl())
                    .callPolicy(
                        CallPolicy.builder()
                            .service("storage")
                            .meterRegistry(meters)
                            .retryPolicy(RetryPolicy.builder().maxAttempts(2).build())
                            .circuitBreakers(
                                CircuitBreakers.builder()
                                    .slidingWindowSize(4)
                                    .minimumNumberOfCalls(4)
                                    .waitDurationInOpenState(Duration.ofSeconds(30))
                                    .meterRegistry(meters)
                                    .build())
                            .build())
                    .environment(Environment.DEVELOPMENT)
                    .build())) {
      out.accept("storage server listening on " + server.baseUrl());

      Optional<Watermark> first = storage.getWatermark("firewall-logs");
      out.accept(
          "first run: "
              + (first.isEmpty() ? "no watermark (404) -> full collection" : "watermark found"));

      OffsetDateTime local = OffsetDateTime.of(2026, 3, 1, 12, 15, 30, 0, ZoneOffset.ofHours(2));
      storage.updateWatermark("firewall-logs", local, RunStatus.SUCCESS, null);
      Instant stored = storage.getWatermark("firewall-logs").orElseThrow().lastRunTimestamp();
      out.accept("stored " + local + " as " + stored + " (UTC); sent " + server.lastUpdateBody());

      server.outage(true);
      out.accept("storage outage begins (every call answers 503)");
      int unavailable = 0;
      int open = 0;
      int sentBeforeOpen = 0;
      int sentWhileOpen = 0;
      for (int run = 1; run <= 4; run++) {
        try {
          storage.getWatermark("firewall-logs");
          out.accept("run " + run + ": unexpected watermark during the outage");
        } catch (StorageUnavailableException e) {
          if (e.errorType() == dev.lifeline.http.ErrorType.CIRCUIT_BREAKER_OPEN) {
            open++;
            sentWhileOpen = server.apiRequests() - sentBeforeOpen;
          } else {
            unavailable++;
            sentBeforeOpen = server.apiRequests();
          }
          out.accept(
              "run "
                  + run
                  + ": storage unavailable ("
                  + e.errorType().value()
                  + ", "
                  + e.report().attempts().size()
                  + " attempts) -> skip this run, keep the old watermark");
        }
      }
      boolean healthy = storage.healthCheck();
      out.accept("health check during the outage: " + (healthy ? "healthy" : "unhealthy"));
      out.accept("requests the server received while the breaker was open: " + sentWhileOpen);
      return new Result(first.isEmpty(), stored, unavailable, open, sentWhileOpen, healthy);
    }
  }

  /** Runs the walk-through on standard output. */
  public static void main(String[] args) throws IOException {
    run(System.out::println);
  }
}
