package dev.lifeline.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Everything that decides how a client's logical calls are attempted, shared by the gRPC and HTTP
 * transports: the service name, the retry policy with per-method overrides, one {@link RetryBudget}
 * per target, the {@link CircuitBreakers}, static headers, metrics, time and randomness. A
 * transport calls {@link #start} once per logical call and drives the returned {@link
 * CallExecution} attempt by attempt.
 *
 * <p>Defaults: {@link RetryPolicy#defaults()}, {@link RetryBudget} defaults per target, {@link
 * CircuitBreakers#defaults()}, no headers, {@link Metrics#globalRegistry}, {@link Ticker#system()},
 * {@link ThreadLocalRandom}.
 *
 * <p>Metrics (tags are low-cardinality: service, method, outcome, reason): {@code lifeline.calls},
 * {@code lifeline.call.attempts} (distribution), {@code lifeline.retries{reason}}, {@code
 * lifeline.retry.budget.rejections}, {@code lifeline.call.duration} (timer) and {@code
 * lifeline.calls.in_flight} (logical calls started and not yet finished). The service's meters are
 * registered, at zero, when the policy is built; a method's the first time it is called. No call
 * looks a meter up.
 *
 * <p>Immutable and thread-safe (the per-target budgets and per-method meters are created on first
 * use).
 */
public final class CallPolicy {

  private final String service;
  private final RetryPolicy retryPolicy;
  private final Map<String, RetryPolicy> methodPolicies;
  private final Supplier<RetryBudget> budgetFactory;
  private final ConcurrentHashMap<String, RetryBudget> budgets = new ConcurrentHashMap<>();
  private final CircuitBreakers breakers;
  private final Map<String, String> headers;
  private final MeterRegistry meters;
  private final Ticker ticker;
  private final DoubleSupplier random;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Map<FailureKind, Counter> retries = new EnumMap<>(FailureKind.class);
  private final Counter budgetRejections;
  private final ConcurrentHashMap<String, MethodMeters> methodMeters = new ConcurrentHashMap<>();

  private CallPolicy(Builder b) {
    this.service = b.service;
    this.retryPolicy = b.retryPolicy;
    this.methodPolicies = Collections.unmodifiableMap(new HashMap<>(b.methodPolicies));
    Ticker t = b.ticker;
    this.budgetFactory =
        b.budgetFactory != null ? b.budgetFactory : () -> RetryBudget.builder().ticker(t).build();
    // Default breakers report to this policy's registry, not the global one.
    this.breakers =
        b.breakers != null ? b.breakers : CircuitBreakers.builder().meterRegistry(b.meters).build();
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
    this.meters = b.meters;
    this.ticker = b.ticker;
    this.random = b.random;
    Gauge.builder("lifeline.calls.in_flight", inFlight, AtomicInteger::get)
        .description("Logical calls started and not yet finished")
        .tag("service", service)
        .register(meters);
    for (FailureKind kind : FailureKind.values()) {
      if (kind.isRetryable()) {
        retries.put(
            kind,
            Counter.builder("lifeline.retries")
                .description("Retries made, by the failure that caused them")
                .tag("service", service)
                .tag("reason", kind.name().toLowerCase(Locale.ROOT))
                .register(meters));
      }
    }
    this.budgetRejections =
        Counter.builder("lifeline.retry.budget.rejections")
            .description("Retries refused because the target's retry budget was spent")
            .tag("service", service)
            .register(meters);
  }

  /** A builder; {@link Builder#service(String)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts a logical call without a deadline, of a method that is not idempotent. */
  public CallExecution start(String target, String method) {
    return start(target, method, null, false);
  }

  /**
   * Starts a logical call of a method that is not idempotent (unless the retry policy says so) that
   * must finish within {@code timeout} from now; {@code null} means no deadline.
   */
  public CallExecution start(String target, String method, Duration timeout) {
    return start(target, method, timeout, false);
  }

  /**
   * Starts a logical call that must finish within {@code timeout} from now; {@code null} means no
   * deadline. No retry is scheduled past it.
   *
   * @param methodIdempotent whether the method itself is idempotent (from its gRPC descriptor or
   *     HTTP method); the retry policy's {@link RetryPolicy#idempotent()} overrides it
   */
  public CallExecution start(
      String target, String method, Duration timeout, boolean methodIdempotent) {
    return start(target, method, timeout, retryPolicy(method), methodIdempotent);
  }

  /**
   * Starts a logical call under {@code retryPolicy} instead of the one this policy has for {@code
   * method}: for a transport that resolves the policy from more than the method name, e.g. HTTP,
   * where a route's override falls back to the HTTP method's. {@code timeout} and {@code
   * methodIdempotent} as in {@link #start(String, String, Duration, boolean)}.
   */
  public CallExecution start(
      String target,
      String method,
      Duration timeout,
      RetryPolicy retryPolicy,
      boolean methodIdempotent) {
    long nanos = timeout == null ? -1 : saturatedNanos(timeout);
    return new CallExecution(
        this,
        target,
        method,
        nanos,
        Objects.requireNonNull(retryPolicy, "retryPolicy"),
        methodIdempotent);
  }

  private static long saturatedNanos(Duration d) {
    if (d.isNegative()) {
      return 0;
    }
    return d.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toNanos();
  }

  /** The called service's name, e.g. a Dapr app id. */
  public String service() {
    return service;
  }

  /** The policy for {@code method}: its override if one was set, else the client's policy. */
  public RetryPolicy retryPolicy(String method) {
    return methodPolicies.getOrDefault(method, retryPolicy);
  }

  /** The client-wide policy. */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** The per-method overrides, keyed by method name. */
  public Map<String, RetryPolicy> methodPolicies() {
    return methodPolicies;
  }

  /** The retry budget of {@code target}, created on first use. */
  public RetryBudget retryBudget(String target) {
    return budgets.computeIfAbsent(target, t -> budgetFactory.get());
  }

  /** The circuit breakers. */
  public CircuitBreakers circuitBreakers() {
    return breakers;
  }

  /** Headers sent with every call (e.g. {@code dapr-app-id}), in insertion order. */
  public Map<String, String> headers() {
    return headers;
  }

  /** {@link #headers()} with secret values masked, for logs. */
  public Map<String, String> redactedHeaders() {
    return Redaction.redactHeaders(headers);
  }

  /** {@code text} with the values of secret headers masked. */
  public String redact(String text) {
    return Redaction.scrub(text, headers);
  }

  /** Where metrics go. */
  public MeterRegistry meterRegistry() {
    return meters;
  }

  /** The time source. */
  public Ticker ticker() {
    return ticker;
  }

  /** The uniform {@code [0, 1)} random source used for jitter. */
  public DoubleSupplier random() {
    return random;
  }

  /** Logical calls of this policy started and not yet finished. */
  public int inFlight() {
    return inFlight.get();
  }

  void callStarted() {
    inFlight.incrementAndGet();
  }

  void callEnded() {
    inFlight.decrementAndGet();
  }

  void retried(FailureKind kind) {
    Counter c = retries.get(kind);
    if (c != null) {
      c.increment();
    }
  }

  void budgetRejected() {
    budgetRejections.increment();
  }

  MethodMeters methodMeters(String method) {
    MethodMeters m = methodMeters.get(method);
    return m != null ? m : methodMeters.computeIfAbsent(method, this::newMethodMeters);
  }

  private MethodMeters newMethodMeters(String method) {
    return new MethodMeters(service, method, meters);
  }

  /** The meters of one method, bound once so that a call never looks a meter up. Thread-safe. */
  static final class MethodMeters {
    private final Counter successes;
    private final Timer successDuration;
    private final Map<StopReason, Counter> failures = new EnumMap<>(StopReason.class);
    private final Map<StopReason, Timer> failureDuration = new EnumMap<>(StopReason.class);
    private final DistributionSummary attempts;

    MethodMeters(String service, String method, MeterRegistry registry) {
      successes = calls(service, method, "success", registry);
      successDuration = duration(service, method, "success", registry);
      for (StopReason r : StopReason.values()) {
        String outcome = r.name().toLowerCase(Locale.ROOT);
        failures.put(r, calls(service, method, outcome, registry));
        failureDuration.put(r, duration(service, method, outcome, registry));
      }
      attempts =
          DistributionSummary.builder("lifeline.call.attempts")
              .description("Attempts per logical call, the first included")
              .tag("service", service)
              .tag("method", method)
              .register(registry);
    }

    private static Counter calls(
        String service, String method, String outcome, MeterRegistry registry) {
      return Counter.builder("lifeline.calls")
          .description("Logical calls, by how they ended")
          .tag("service", service)
          .tag("method", method)
          .tag("outcome", outcome)
          .register(registry);
    }

    private static Timer duration(
        String service, String method, String outcome, MeterRegistry registry) {
      return LatencyHistogram.buckets(Timer.builder("lifeline.call.duration"))
          .description("Duration of logical calls, all attempts and waits included")
          .tag("service", service)
          .tag("method", method)
          .tag("outcome", outcome)
          .register(registry);
    }

    /** Records a finished call; {@code stop} is null on success. */
    void record(StopReason stop, int attemptCount, long nanos) {
      if (stop == null) {
        successes.increment();
        successDuration.record(nanos, TimeUnit.NANOSECONDS);
      } else {
        failures.get(stop).increment();
        failureDuration.get(stop).record(nanos, TimeUnit.NANOSECONDS);
      }
      attempts.record(attemptCount);
    }
  }

  /** Builds a {@link CallPolicy}. Not thread-safe. */
  public static final class Builder {
    private String service;
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private final Map<String, RetryPolicy> methodPolicies = new HashMap<>();
    private Supplier<RetryBudget> budgetFactory;
    private CircuitBreakers breakers;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private MeterRegistry meters = Metrics.globalRegistry;
    private Ticker ticker = Ticker.system();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder() {}

    /**
     * The called service's name, used in messages, logs and metric tags. Required.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder service(String service) {
      if (service == null || service.isBlank()) {
        throw new IllegalArgumentException("service: '" + service + "' (expected: non-blank)");
      }
      this.service = service;
      return this;
    }

    /** The client-wide retry policy. Default {@link RetryPolicy#defaults()}. */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "retryPolicy");
      return this;
    }

    /**
     * A policy for one method, e.g. {@code "lifeline.ItemService/GetItemDetail"} (gRPC full method
     * name) or an HTTP route.
     *
     * @throws IllegalArgumentException if {@code method} is blank
     */
    public Builder retryPolicy(String method, RetryPolicy policy) {
      if (method == null || method.isBlank()) {
        throw new IllegalArgumentException("method: '" + method + "' (expected: non-blank)");
      }
      methodPolicies.put(method, Objects.requireNonNull(policy, "retryPolicy"));
      return this;
    }

    /**
     * Creates each target's budget. Default: {@link RetryBudget#builder()} defaults on this
     * policy's ticker.
     */
    public Builder retryBudget(Supplier<RetryBudget> perTarget) {
      this.budgetFactory = Objects.requireNonNull(perTarget, "retryBudget");
      return this;
    }

    /** Turns the retry budget off. */
    public Builder noRetryBudget() {
      this.budgetFactory = RetryBudget::unlimited;
      return this;
    }

    /**
     * The circuit breakers. Default: {@link CircuitBreakers#builder()} defaults, reporting to this
     * policy's {@link #meterRegistry}.
     */
    public Builder circuitBreakers(CircuitBreakers breakers) {
      this.breakers = Objects.requireNonNull(breakers, "circuitBreakers");
      return this;
    }

    /**
     * A header sent with every call, e.g. {@code dapr-app-id}. Secret headers ({@link
     * Redaction#isSecretHeader}) are sent but never logged.
     *
     * @throws IllegalArgumentException if the name is blank or not lower-case ASCII
     */
    public Builder header(String name, String value) {
      if (name == null || name.isBlank() || !name.equals(name.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(
            "header name: '" + name + "' (expected: non-blank lower-case)");
      }
      headers.put(name, Objects.requireNonNull(value, "header value of " + name));
      return this;
    }

    /** Where metrics go. Default {@link Metrics#globalRegistry}. */
    public Builder meterRegistry(MeterRegistry meters) {
      this.meters = Objects.requireNonNull(meters, "meterRegistry");
      return this;
    }

    /** The time source. Default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Uniform draws from {@code [0, 1)} for jitter. Default {@link ThreadLocalRandom}. */
    public Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Returns the policy.
     *
     * @throws IllegalStateException if no service was set
     */
    public CallPolicy build() {
      if (service == null) {
        throw new IllegalStateException("service: null (expected: set with service(name))");
      }
      return new CallPolicy(this);
    }
  }
}
