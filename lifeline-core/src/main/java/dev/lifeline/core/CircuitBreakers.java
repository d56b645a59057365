package dev.lifeline.core;

import dev.lifeline.core.internal.Check;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * Lifeline's glue over Resilience4j's {@link CircuitBreakerRegistry}: one breaker per target, or
 * per target and method if {@link Builder#perMethod(boolean)} is set, driven by {@link
 * FailureKind}. The breakers are ordinary Resilience4j objects in {@link #registry()}, so existing
 * Resilience4j monitoring sees them.
 *
 * <p>Lifeline's defaults: count-based sliding window of 20 calls, at least 10 calls before the rate
 * is judged, open at 50% failures, stay open 10 s, then half-open admitting 3 trial calls for at
 * most 30 s (then open again); slow calls are not failures (Resilience4j's own default, which
 * counts every call over 60 s as slow and opens on 100 % slow calls, would open the breaker of a
 * healthy service whose calls are long); system clock. Breakers are per service and target: {@link
 * #breaker(String, String, String)}.
 *
 * <p>Lifeline asks a breaker per attempt; a stream is judged when it is established (first response
 * headers or message), so long streams neither look slow nor hold a half-open trial permit for
 * their whole life.
 *
 * <p>Metrics: gauge {@code lifeline.breaker.state{breaker,target,method}} (0 closed, 1 open, 2
 * half-open, 3 other) and counter {@code
 * lifeline.breaker.transitions{breaker,target,method,from,to}}, where {@code breaker} is the
 * calling service's name.
 *
 * <p>Thread-safe.
 */
public final class CircuitBreakers {

  /** The only disabled instance: it holds an empty registry and makes no breaker. */
  private static final CircuitBreakers DISABLED = new CircuitBreakers(null);

  /** A slow-call threshold no call reaches: Resilience4j has no switch to turn the rule off. */
  private static final Duration SLOW_CALLS_OFF = Duration.ofDays(3650);

  private final CircuitBreakerRegistry registry;
  private final CircuitBreakerConfig config;
  private final boolean perMethod;
  private final MeterRegistry meters;
  private final ConcurrentMap<String, CircuitBreaker> byName = new ConcurrentHashMap<>();

  private CircuitBreakers(@Nullable Builder b) {
    if (b == null) {
      this.config = CircuitBreakerConfig.ofDefaults();
      this.registry = CircuitBreakerRegistry.of(config);
      this.perMethod = false;
      this.meters = Metrics.globalRegistry;
      return;
    }
    CircuitBreakerConfig.Builder cb =
        CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(b.slidingWindowSize)
            .minimumNumberOfCalls(b.minimumNumberOfCalls)
            .failureRateThreshold(b.failureRateThreshold)
            .waitDurationInOpenState(b.waitDurationInOpenState)
            .permittedNumberOfCallsInHalfOpenState(b.permittedCallsInHalfOpen)
            .maxWaitDurationInHalfOpenState(b.maxWaitInHalfOpen)
            .slowCallDurationThreshold(
                b.slowCallDuration != null ? b.slowCallDuration : SLOW_CALLS_OFF)
            .slowCallRateThreshold(b.slowCallDuration != null ? b.slowCallRate : 100)
            .clock(b.clock);
    this.config = cb.build();
    this.registry = b.registry != null ? b.registry : CircuitBreakerRegistry.of(config);
    this.perMethod = b.perMethod;
    this.meters = b.meters;
  }

  /** Breakers with Lifeline's defaults, one per target. */
  public static CircuitBreakers defaults() {
    return builder().build();
  }

  /** No breakers: every call is permitted. */
  public static CircuitBreakers disabled() {
    return DISABLED;
  }

  /** A builder with Lifeline's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether these are {@link #disabled()}. */
  public boolean isDisabled() {
    return this == DISABLED;
  }

  /** The Resilience4j registry holding the breakers, for monitoring; empty if disabled. */
  public CircuitBreakerRegistry registry() {
    return registry;
  }

  /** Whether there is one breaker per target and method rather than per target. */
  public boolean perMethod() {
    return perMethod;
  }

  /**
   * The breaker of {@code service}'s calls to {@code target} (and {@code method} if per-method),
   * created on first use. Its Resilience4j name is {@code "service target"} (or {@code "service
   * target method"}), so two services sharing these breakers never share a breaker, and its meters
   * carry {@code breaker=service}, {@code target} and {@code method} ({@value #ALL_METHODS} unless
   * per-method). The gauge and the usual transitions' counters are registered at 0 when the breaker
   * is created, so a dashboard shows 0 rather than no data and {@code rate()} sees the first
   * transition.
   *
   * @throws IllegalStateException if disabled
   */
  public CircuitBreaker breaker(String service, String target, String method) {
    if (isDisabled()) {
      throw new IllegalStateException("circuit breakers are disabled");
    }
    String scope = perMethod ? method : ALL_METHODS;
    String name = service + " " + target + (perMethod ? " " + method : "");
    return byName.computeIfAbsent(name, n -> create(n, service, target, scope));
  }

  /** The {@code method} tag of a breaker that covers every method of its target. */
  public static final String ALL_METHODS = "all";

  /** The transitions of a breaker in ordinary use: their counters start at 0. */
  private static final CircuitBreaker.State[][] USUAL_TRANSITIONS = {
    {CircuitBreaker.State.CLOSED, CircuitBreaker.State.OPEN},
    {CircuitBreaker.State.OPEN, CircuitBreaker.State.HALF_OPEN},
    {CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.CLOSED},
    {CircuitBreaker.State.HALF_OPEN, CircuitBreaker.State.OPEN},
  };

  private CircuitBreaker create(String name, String service, String target, String method) {
    CircuitBreaker breaker = registry.circuitBreaker(name, config);
    Tags tags = Tags.of("breaker", service, "target", target, "method", method);
    Gauge.builder("lifeline.breaker.state", breaker, CircuitBreakers::stateValue)
        .description("0 closed, 1 open, 2 half-open, 3 other")
        .tags(tags)
        .register(meters);
    for (CircuitBreaker.State[] t : USUAL_TRANSITIONS) {
      transitions(tags, t[0], t[1]);
    }
    breaker
        .getEventPublisher()
        .onStateTransition(
            e ->
                transitions(
                        tags,
                        e.getStateTransition().getFromState(),
                        e.getStateTransition().getToState())
                    .increment());
    return breaker;
  }

  private Counter transitions(Tags tags, CircuitBreaker.State from, CircuitBreaker.State to) {
    return Counter.builder("lifeline.breaker.transitions")
        .description("Circuit breaker state changes")
        .tags(tags)
        .tag("from", lower(from))
        .tag("to", lower(to))
        .register(meters);
  }

  private static String lower(CircuitBreaker.State state) {
    return state.name().toLowerCase(Locale.ROOT);
  }

  private static double stateValue(CircuitBreaker breaker) {
    return switch (breaker.getState()) {
      case CLOSED -> 0;
      case OPEN -> 1;
      case HALF_OPEN -> 2;
      default -> 3;
    };
  }

  /** Builds {@link CircuitBreakers}. Not thread-safe. */
  public static final class Builder {
    private int slidingWindowSize = 20;
    private int minimumNumberOfCalls = 10;
    private float failureRateThreshold = 50;
    private Duration waitDurationInOpenState = Duration.ofSeconds(10);
    private int permittedCallsInHalfOpen = 3;
    private Duration maxWaitInHalfOpen = Duration.ofSeconds(30);
    private @Nullable Duration slowCallDuration;
    private float slowCallRate = 100;
    private boolean perMethod;
    private Clock clock = Clock.systemUTC();
    private @Nullable CircuitBreakerRegistry registry;
    private MeterRegistry meters = Metrics.globalRegistry;

    private Builder() {}

    /**
     * Calls in the count-based sliding window. Default 20.
     *
     * @throws IllegalArgumentException if not within {@code [1, 10000]}
     */
    public Builder slidingWindowSize(int size) {
      this.slidingWindowSize = Check.inRange("slidingWindowSize", size, 1, 10_000);
      return this;
    }

    /**
     * Calls recorded before the failure rate is judged. Default 10.
     *
     * @throws IllegalArgumentException if below 1
     */
    public Builder minimumNumberOfCalls(int calls) {
      this.minimumNumberOfCalls = Check.atLeast("minimumNumberOfCalls", calls, 1);
      return this;
    }

    /**
     * Failure percentage that opens the breaker. Default 50.
     *
     * @throws IllegalArgumentException if not within {@code (0, 100]}
     */
    public Builder failureRateThreshold(float percent) {
      Check.aboveAndAtMost("failureRateThreshold", percent, 0, 100);
      this.failureRateThreshold = percent;
      return this;
    }

    /**
     * How long an open breaker fails fast before admitting trial calls. Default 10 s.
     *
     * @throws IllegalArgumentException if below 1 ms
     */
    public Builder waitDurationInOpenState(Duration wait) {
      this.waitDurationInOpenState =
          Check.atLeast("waitDurationInOpenState", wait, Duration.ofMillis(1));
      return this;
    }

    /**
     * Trial calls admitted while half-open. Default 3.
     *
     * @throws IllegalArgumentException if not within {@code [1, 1000]}
     */
    public Builder permittedCallsInHalfOpenState(int calls) {
      this.permittedCallsInHalfOpen =
          Check.inRange("permittedCallsInHalfOpenState", calls, 1, 1000);
      return this;
    }

    /**
     * How long a half-open breaker waits for its trial calls to end before it opens again; zero
     * waits for ever. Default 30 s.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder maxWaitDurationInHalfOpenState(Duration wait) {
      this.maxWaitInHalfOpen = Check.atLeast("maxWaitDurationInHalfOpenState", wait, Duration.ZERO);
      return this;
    }

    /**
     * Counts attempts slower than {@code threshold} as slow, and opens the breaker when {@code
     * ratePercent} of the recorded attempts are slow, even if they succeeded. Default: off, because
     * a service whose calls are long (reports, long polls) is not failing. A stream counts only up
     * to its establishment.
     *
     * @throws IllegalArgumentException if {@code threshold} is not positive or {@code ratePercent}
     *     is not within {@code (0, 100]}
     */
    public Builder slowCalls(Duration threshold, float ratePercent) {
      Objects.requireNonNull(threshold, "slowCalls threshold");
      Check.positive("slowCalls threshold", threshold);
      Check.aboveAndAtMost("slowCalls ratePercent", ratePercent, 0, 100);
      this.slowCallDuration = threshold;
      this.slowCallRate = ratePercent;
      return this;
    }

    /** One breaker per target and method instead of per target. Default {@code false}. */
    public Builder perMethod(boolean perMethod) {
      this.perMethod = perMethod;
      return this;
    }

    /** The clock the breakers measure open time with. Default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * An existing Resilience4j registry to create the breakers in (they still use Lifeline's
     * configuration). Default: a new registry.
     */
    public Builder registry(CircuitBreakerRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** Where breaker metrics go. Default {@link Metrics#globalRegistry}. */
    public Builder meterRegistry(MeterRegistry meters) {
      this.meters = Objects.requireNonNull(meters, "meterRegistry");
      return this;
    }

    /** Returns the breakers. */
    public CircuitBreakers build() {
      return new CircuitBreakers(this);
    }
  }
}
