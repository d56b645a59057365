package dev.lifeline.grpc;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryBudget;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.Ticker;
import dev.lifeline.core.internal.Check;
import dev.lifeline.grpc.internal.RetryingInterceptor;
import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Resilient gRPC calls for one client (one called service): retry with backoff, a retry budget per
 * target, a circuit breaker, static headers and one typed error per failed call, as a {@link
 * ClientInterceptor} that works with every stub.
 *
 * <pre>{@code
 * LifelineCalls calls = LifelineCalls.builder()
 *     .service("item-master")
 *     .retryPolicy(RetryPolicy.builder().maxAttempts(3).build())
 *     .header("dapr-app-id", "item-master")
 *     .build();
 * Channel channel = ClientInterceptors.intercept(managedChannel, calls.interceptor());
 * ItemServiceGrpc.ItemServiceBlockingStub stub = ItemServiceGrpc.newBlockingStub(channel);
 * }</pre>
 *
 * <p>Unary and server-streaming calls are retried (a server stream only before its first response
 * message); client-streaming and bidi calls pass through with the static headers and keep only
 * grpc's transparent retry. Keep grpc's own service-config retry off so it cannot multiply
 * attempts: build the channel with {@code disableServiceConfigLookUp()} and no {@code retryPolicy}
 * in a default service config (this keeps grpc's transparent retry), or with {@code disableRetry()}
 * (which in grpc-java also turns transparent retry off).
 *
 * <p>Defaults: those of {@link CallPolicy}; the target is the channel's authority; retries are
 * scheduled on a shared daemon thread.
 *
 * <p>Immutable and thread-safe.
 */
public final class LifelineCalls {

  private static final class SharedScheduler {
    static final ScheduledExecutorService INSTANCE =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lifeline-retry");
              t.setDaemon(true);
              return t;
            });
  }

  private final CallPolicy policy;
  private final ScheduledExecutorService scheduler;
  private final @Nullable String target;
  private final ClientInterceptor interceptor;

  private LifelineCalls(
      CallPolicy policy, ScheduledExecutorService scheduler, @Nullable String target) {
    this.policy = policy;
    this.scheduler = scheduler;
    this.target = target;
    this.interceptor = new RetryingInterceptor(policy, scheduler, target);
  }

  /** A builder; {@link Builder#service(String)} is required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Calls driven by an existing policy, on the shared retry scheduler. */
  public static LifelineCalls of(CallPolicy policy) {
    return new LifelineCalls(
        Objects.requireNonNull(policy, "policy"), SharedScheduler.INSTANCE, null);
  }

  /** The interceptor to put on a channel with {@code ClientInterceptors.intercept}. */
  public ClientInterceptor interceptor() {
    return interceptor;
  }

  /** Shorthand for {@code ClientInterceptors.intercept(channel, interceptor())}. */
  public Channel intercept(Channel channel) {
    return ClientInterceptors.intercept(channel, interceptor);
  }

  /** The policy, including the retry budgets and the circuit breakers (for monitoring). */
  public CallPolicy policy() {
    return policy;
  }

  /** The scheduler retries wait on. */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** The fixed target name; empty if the channel's authority is used. */
  public Optional<String> target() {
    return Optional.ofNullable(target);
  }

  /**
   * Runs a stub call and rethrows Lifeline's failure as the {@link LifelineCallException} itself
   * rather than the plain {@link StatusRuntimeException} the stub builds around it.
   *
   * @throws LifelineCallException if the call failed through this client's interceptor
   * @throws StatusRuntimeException for other gRPC failures
   */
  public static <T> T call(Supplier<T> stubCall) {
    try {
      return stubCall.get();
    } catch (StatusRuntimeException e) {
      throw LifelineCallException.from(e).<RuntimeException>map(x -> x).orElse(e);
    }
  }

  /** Builds {@link LifelineCalls}. Not thread-safe. */
  public static final class Builder {
    private final CallPolicy.Builder policy = CallPolicy.builder();
    private @Nullable ScheduledExecutorService scheduler;
    private @Nullable String target;

    private Builder() {}

    /** See {@link CallPolicy.Builder#service(String)}. Required. */
    public Builder service(String service) {
      policy.service(service);
      return this;
    }

    /** See {@link CallPolicy.Builder#retryPolicy(RetryPolicy)}. */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      policy.retryPolicy(retryPolicy);
      return this;
    }

    /**
     * A policy for one method, by its full gRPC name (e.g. {@code
     * "lifeline.examples.aimodel.AiModel/Extract"}).
     */
    public Builder retryPolicy(String fullMethodName, RetryPolicy retryPolicy) {
      policy.retryPolicy(fullMethodName, retryPolicy);
      return this;
    }

    /** See {@link CallPolicy.Builder#retryBudget(Supplier)}. */
    public Builder retryBudget(Supplier<RetryBudget> perTarget) {
      policy.retryBudget(perTarget);
      return this;
    }

    /** Turns the retry budget off. */
    public Builder noRetryBudget() {
      policy.noRetryBudget();
      return this;
    }

    /** See {@link CallPolicy.Builder#circuitBreakers(CircuitBreakers)}. */
    public Builder circuitBreakers(CircuitBreakers breakers) {
      policy.circuitBreakers(breakers);
      return this;
    }

    /** A metadata header sent with every call; see {@link CallPolicy.Builder#header}. */
    public Builder header(String name, String value) {
      policy.header(name, value);
      return this;
    }

    /** See {@link CallPolicy.Builder#meterRegistry(MeterRegistry)}. */
    public Builder meterRegistry(MeterRegistry meters) {
      policy.meterRegistry(meters);
      return this;
    }

    /** See {@link CallPolicy.Builder#ticker(Ticker)}. */
    public Builder ticker(Ticker ticker) {
      policy.ticker(ticker);
      return this;
    }

    /** See {@link CallPolicy.Builder#random(DoubleSupplier)}. */
    public Builder random(DoubleSupplier random) {
      policy.random(random);
      return this;
    }

    /**
     * Where retries wait. Default: a shared daemon thread. Its tasks only start attempts, they
     * never block.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * The target name for budgets, breakers, metrics and errors. Default: the channel's authority.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder target(String target) {
      this.target = Check.nonBlank("target", target);
      return this;
    }

    /**
     * Returns the calls.
     *
     * @throws IllegalStateException if no service was set
     */
    public LifelineCalls build() {
      return new LifelineCalls(
          policy.build(), scheduler != null ? scheduler : SharedScheduler.INSTANCE, target);
    }
  }
}
