package dev.lifeline.grpc.internal;

import dev.lifeline.core.Ticker;
import io.grpc.Channel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared state of a sticky group channel: the members, the remembered active, backoff and metrics.
 * Thread-safe: the remembered member and the last failover are atomics; the rest is immutable.
 */
public final class StickyRouter {

  private static final Logger log = LoggerFactory.getLogger(StickyRouter.class);

  /** One member of the group: the address leader hints name it by, and its channel. */
  public record Member(String address, Channel channel) {}

  final String group;
  private final List<Member> members;
  final int maxRetries;
  private final long initialBackoffNanos;
  private final double multiplier;
  private final long maxBackoffNanos;
  private final double jitter;
  final boolean retryUntilDeadline;
  final Ticker ticker;
  private final RandomGenerator random;
  final ScheduledExecutorService scheduler;
  final boolean trace;

  private final AtomicInteger preferred = new AtomicInteger();
  private final AtomicLong lastFailoverNanos = new AtomicLong(-1);

  final Counter notActive;
  final Counter unavailable;
  final Counter successes;
  final Counter failures;
  final DistributionSummary retries;
  final Timer failoverLatency;

  /** Creates the router; arguments are validated by the public builder. */
  public StickyRouter(
      String group,
      List<Member> members,
      int maxRetries,
      long initialBackoffNanos,
      double multiplier,
      long maxBackoffNanos,
      double jitter,
      boolean retryUntilDeadline,
      Ticker ticker,
      RandomGenerator random,
      ScheduledExecutorService scheduler,
      MeterRegistry registry,
      boolean trace) {
    this.group = group;
    this.members = List.copyOf(members);
    this.maxRetries = maxRetries;
    this.initialBackoffNanos = initialBackoffNanos;
    this.multiplier = multiplier;
    this.maxBackoffNanos = maxBackoffNanos;
    this.jitter = jitter;
    this.retryUntilDeadline = retryUntilDeadline;
    this.ticker = ticker;
    this.random = random;
    this.scheduler = scheduler;
    this.trace = trace;
    this.notActive =
        Counter.builder("lifeline.sticky.not_active")
            .description("NOT_ACTIVE answers received from standby members")
            .tag("group", group)
            .register(registry);
    this.unavailable =
        Counter.builder("lifeline.sticky.unavailable")
            .description("UNAVAILABLE answers (not NOT_ACTIVE) that moved a call to another member")
            .tag("group", group)
            .register(registry);
    this.successes =
        Counter.builder("lifeline.sticky.calls")
            .tag("group", group)
            .tag("outcome", "success")
            .register(registry);
    this.failures =
        Counter.builder("lifeline.sticky.calls")
            .tag("group", group)
            .tag("outcome", "failure")
            .register(registry);
    this.retries =
        DistributionSummary.builder("lifeline.sticky.retries")
            .description("Attempts beyond the first, per call")
            .tag("group", group)
            .register(registry);
    this.failoverLatency =
        Timer.builder("lifeline.sticky.failover.latency")
            .description("From a call's first NOT_ACTIVE or UNAVAILABLE to its success")
            .tag("group", group)
            .publishPercentiles(0.5, 0.95, 0.99)
            .register(registry);
  }

  int size() {
    return members.size();
  }

  Member member(int index) {
    return members.get(index);
  }

  int preferredIndex() {
    return preferred.get();
  }

  /** The channel of the member calls go to first. */
  public Channel preferredChannel() {
    return members.get(preferred.get()).channel();
  }

  /** The address of the member calls go to first. */
  public String preferredAddress() {
    return members.get(preferred.get()).address();
  }

  /** The index of the member with this address, or -1. */
  int indexOf(String address) {
    for (int i = 0; i < members.size(); i++) {
      if (members.get(i).address().equals(address)) {
        return i;
      }
    }
    return -1;
  }

  /** Backoff before the {@code n}-th delayed retry (0-based), jittered. */
  long backoffNanos(int n) {
    double base = initialBackoffNanos * Math.pow(multiplier, n);
    base = Math.min(base, maxBackoffNanos);
    double factor = 1.0 + jitter * (2 * random.nextDouble() - 1);
    return Math.max(0, (long) (base * factor));
  }

  void onSuccess(int index, int retriesUsed, long firstFailureNanos) {
    int before = preferred.getAndSet(index);
    successes.increment();
    retries.record(retriesUsed);
    if (firstFailureNanos >= 0) {
      long took = ticker.nanos() - firstFailureNanos;
      failoverLatency.record(took, TimeUnit.NANOSECONDS);
      lastFailoverNanos.set(took);
    }
    if (before != index) {
      log.atInfo()
          .addKeyValue("group", group)
          .addKeyValue("from", members.get(before).address())
          .addKeyValue("to", members.get(index).address())
          .log("sticky channel now prefers a new active member");
    }
  }

  void onFailure(int retriesUsed) {
    failures.increment();
    retries.record(retriesUsed);
  }

  /** How long the last failover took, first failure to success, if any call saw one. */
  public Optional<Duration> lastFailover() {
    long n = lastFailoverNanos.get();
    return n < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(n));
  }

  void trace(String decision, String member, String status, long delayNanos, int attempt) {
    if (trace) {
      log.atInfo()
          .addKeyValue("group", group)
          .addKeyValue("attempt", attempt)
          .addKeyValue("member", member)
          .addKeyValue("status", status)
          .addKeyValue("delayMs", TimeUnit.NANOSECONDS.toMillis(delayNanos))
          .log("sticky routing: " + decision);
    }
  }
}
