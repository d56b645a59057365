package dev.lifeline.core.internal;

import dev.lifeline.core.FailureKind;
import dev.lifeline.core.RetryBudget;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * What a {@link dev.lifeline.core.CallPolicy} keeps while calls run, apart from its settings: the
 * logical calls in flight, one {@link RetryBudget} per target, the retry and budget counters and
 * each method's meters, and the random source for jitter. The call engine reaches it through {@link
 * CoreAccess}; users never see it.
 *
 * <p>Thread-safe: counters are atomic, and the per-target budgets and per-method meters are created
 * on first use in concurrent maps. {@code retries} is filled in the constructor and only read
 * afterwards.
 */
public final class PolicyRuntime {

  private final String service;
  private final MeterRegistry meters;
  private final Supplier<RetryBudget> budgetFactory;
  private final DoubleSupplier random;
  private final ConcurrentHashMap<String, RetryBudget> budgets = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Map<FailureKind, Counter> retries = new EnumMap<>(FailureKind.class);
  private final Counter budgetRejections;
  private final ConcurrentHashMap<String, MethodMeters> methodMeters = new ConcurrentHashMap<>();

  /**
   * Registers the service's meters, at zero, in {@code meters}: the in-flight gauge, one retry
   * counter per retryable kind and the budget-rejection counter.
   */
  public PolicyRuntime(
      String service,
      MeterRegistry meters,
      Supplier<RetryBudget> budgetFactory,
      DoubleSupplier random) {
    this.service = service;
    this.meters = meters;
    this.budgetFactory = budgetFactory;
    this.random = random;
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

  /** The retry budget of {@code target}, created on first use. */
  public RetryBudget retryBudget(String target) {
    return budgets.computeIfAbsent(target, t -> budgetFactory.get());
  }

  /** The uniform {@code [0, 1)} random source used for jitter. */
  public DoubleSupplier random() {
    return random;
  }

  /** Logical calls started and not yet finished. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Counts a logical call that started. */
  public void callStarted() {
    inFlight.incrementAndGet();
  }

  /** Counts a logical call that finished, whichever way. */
  public void callEnded() {
    inFlight.decrementAndGet();
  }

  /** Counts a retry caused by a failure of {@code kind}. */
  public void retried(FailureKind kind) {
    Counter c = retries.get(kind);
    if (c != null) {
      c.increment();
    }
  }

  /** Counts a retry that the target's budget refused. */
  public void budgetRejected() {
    budgetRejections.increment();
  }

  /** The meters of {@code method}, registered the first time it is called. */
  public MethodMeters methodMeters(String method) {
    MethodMeters m = methodMeters.get(method);
    return m != null ? m : methodMeters.computeIfAbsent(method, this::newMethodMeters);
  }

  private MethodMeters newMethodMeters(String method) {
    return new MethodMeters(service, method, meters);
  }
}
