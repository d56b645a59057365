package dev.lifeline.core;

import dev.lifeline.core.internal.Check;
import dev.lifeline.core.internal.CoreAccess;
import dev.lifeline.core.internal.PolicyRuntime;
import dev.lifeline.core.spi.CallExecution;
import dev.lifeline.core.spi.Redaction;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Everything that decides how a client's logical calls are attempted, shared by the gRPC and HTTP
 * transports: the service name, the retry policy with per-method overrides, one {@link RetryBudget}
 * per target, the {@link CircuitBreakers}, static headers, metrics, time and randomness. Users
 * build one and hand it to a client ({@code LifelineCalls.of(policy)}, the HTTP client's config); a
 * transport starts each logical call with {@link CallExecution#start(CallPolicy, String, String)}
 * and drives it attempt by attempt.
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
  private final CircuitBreakers breakers;
  private final Map<String, String> headers;
  private final MeterRegistry meters;
  private final Ticker ticker;
  // What calls of this policy share while they run; the engine reaches it through CoreAccess.
  private final PolicyRuntime runtime;

  static {
    CoreAccess.runtimes(p -> p.runtime);
  }

  private CallPolicy(Builder b, String service) {
    this.service = service;
    this.retryPolicy = b.retryPolicy;
    this.methodPolicies = Collections.unmodifiableMap(new HashMap<>(b.methodPolicies));
    // Default breakers report to this policy's registry, not the global one.
    this.breakers =
        b.breakers != null ? b.breakers : CircuitBreakers.builder().meterRegistry(b.meters).build();
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
    this.meters = b.meters;
    this.ticker = b.ticker;
    Ticker t = b.ticker;
    Supplier<RetryBudget> budgetFactory =
        b.budgetFactory != null ? b.budgetFactory : () -> RetryBudget.builder().ticker(t).build();
    this.runtime = new PolicyRuntime(service, meters, budgetFactory, b.random);
  }

  /** A builder; {@link Builder#service(String)} is required. */
  public static Builder builder() {
    return new Builder();
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

  /** The circuit breakers. */
  public CircuitBreakers circuitBreakers() {
    return breakers;
  }

  /** Headers sent with every call (e.g. {@code dapr-app-id}), in insertion order. */
  public Map<String, String> headers() {
    return headers;
  }

  /** Where metrics go. */
  public MeterRegistry meterRegistry() {
    return meters;
  }

  /** The time source. */
  public Ticker ticker() {
    return ticker;
  }

  /** Logical calls of this policy started and not yet finished. */
  public int inFlight() {
    return runtime.inFlight();
  }

  /** Builds a {@link CallPolicy}. Not thread-safe. */
  public static final class Builder {
    private @Nullable String service;
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private final Map<String, RetryPolicy> methodPolicies = new HashMap<>();
    private @Nullable Supplier<RetryBudget> budgetFactory;
    private @Nullable CircuitBreakers breakers;
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
      this.service = Check.nonBlank("service", service);
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
      Check.nonBlank("method", method);
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
        throw Check.invalid("header name", "'" + name + "'", "non-blank lower-case");
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
      String s = service;
      if (s == null) {
        throw new IllegalStateException("service: null (expected: set with service(name))");
      }
      return new CallPolicy(this, s);
    }
  }
}
