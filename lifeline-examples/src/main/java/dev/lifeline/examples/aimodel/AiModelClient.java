package dev.lifeline.examples.aimodel;

import dev.lifeline.core.Backoff;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.Jitter;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.internal.Check;
import dev.lifeline.examples.aimodel.proto.AiModelGrpc;
import dev.lifeline.examples.aimodel.proto.ExtractRequest;
import dev.lifeline.examples.aimodel.proto.ExtractResponse;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineCallException;
import dev.lifeline.grpc.LifelineCalls;
import dev.lifeline.grpc.LifelineChannel;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The Farmer Power AI model client on Lifeline. It calls {@code AiModel/Extract} through a Dapr
 * sidecar (or directly), adding the {@code dapr-app-id} header, because Dapr's resiliency policies
 * do not cover gRPC proxying.
 *
 * <p>What changed from the original: only transient failures are retried (NOT_FOUND,
 * INVALID_ARGUMENT and other caller errors never are); the channel is never torn down on
 * UNAVAILABLE (grpc reconnects by itself); every call has a deadline; and a failed call throws one
 * {@link LifelineCallException} whose report names the app id, method, each attempt and the reason
 * it stopped, instead of a hard-coded "attempts=3".
 *
 * <p>Defaults: {@link #ADR_005} retry policy, 30 s deadline per call, Lifeline's circuit breaker,
 * {@link Metrics#globalRegistry}.
 *
 * <p>Thread-safe; one instance should be shared by the whole application.
 */
public final class AiModelClient implements AutoCloseable {

  /**
   * Farmer Power ADR-005: 3 attempts, exponential backoff from 1 s to 10 s, on UNAVAILABLE only
   * (the ADR's Tenacity {@code wait_exponential(multiplier=1, min=1, max=10)}); ±20% jitter added
   * so restarted sidecars are not hit in lock-step.
   */
  public static final RetryPolicy ADR_005 =
      RetryPolicy.builder()
          .maxAttempts(3)
          .backoff(
              Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(10))
                  .withMultiplier(2)
                  .withJitter(Jitter.proportional(0.2)))
          .build();

  private final @Nullable ManagedChannel ownedChannel;
  private final @Nullable LifelineChannel lease;
  private final AiModelGrpc.AiModelBlockingStub stub;
  private final Duration timeout;
  private final LifelineCalls calls;

  private AiModelClient(Builder b, String appId) {
    LifelineCalls.Builder lb =
        LifelineCalls.builder()
            .service(appId)
            .retryPolicy(b.retryPolicy)
            .header("dapr-app-id", appId)
            .circuitBreakers(b.breakers)
            .meterRegistry(b.meters);
    if (b.daprApiToken != null) {
      lb.header("dapr-api-token", b.daprApiToken);
    }
    this.calls = lb.build();
    Channel base;
    if (b.channel != null) {
      ownedChannel = null;
      lease = null;
      base = b.channel;
    } else if (b.pool != null) {
      // The application's shared pool: one keepalive channel per target, reconnected on Lifeline's
      // schedule, with grpc's service-config retry off.
      ownedChannel = null;
      lease = b.pool.lease(b.requiredTarget());
      base = lease;
    } else {
      lease = null;
      // One long-lived channel with keepalive (ADR-005) to the Dapr sidecar on localhost, at the
      // interval a default grpc server accepts (a ping every 5 min while calls run; more often, and
      // the server answers GOAWAY too_many_pings and kills the calls). grpc's service-config retry
      // stays off so it cannot multiply Lifeline's attempts; its transparent retry remains.
      ownedChannel =
          NettyChannelBuilder.forTarget(b.requiredTarget())
              .usePlaintext()
              .disableServiceConfigLookUp()
              .keepAliveTime(5, TimeUnit.MINUTES)
              .keepAliveTimeout(20, TimeUnit.SECONDS)
              .build();
      base = ownedChannel;
    }
    this.stub =
        AiModelGrpc.newBlockingStub(ClientInterceptors.intercept(base, calls.interceptor()));
    this.timeout = b.timeout;
  }

  /** A builder; {@link Builder#appId(String)} and a target or channel are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Extracts structured data from {@code content}.
   *
   * @return the extracted JSON
   * @throws LifelineCallException if the call failed; its {@link LifelineCallException#report()}
   *     says how many attempts were made and why it stopped
   * @throws ExtractionException if the model answered but could not extract
   */
  public String extract(String content, String contentType) {
    ExtractRequest request =
        ExtractRequest.newBuilder().setContent(content).setContentType(contentType).build();
    ExtractResponse response =
        LifelineCalls.call(
            () -> stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS).extract(request));
    if (!response.getSuccess()) {
      throw new ExtractionException(response.getErrorMessage());
    }
    return response.getExtractedJson();
  }

  /** The Lifeline calls behind this client: policy, budgets and breakers, for monitoring. */
  public LifelineCalls calls() {
    return calls;
  }

  /**
   * Closes the channel this client created or releases its pool lease (an injected channel is left
   * open). Idempotent.
   */
  @Override
  public void close() {
    if (lease != null) {
      lease.close();
    }
    if (ownedChannel != null) {
      ownedChannel.shutdownNow();
      try {
        ownedChannel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Builds an {@link AiModelClient}. Not thread-safe. */
  public static final class Builder {
    private @Nullable String target;
    private @Nullable Channel channel;
    private @Nullable ChannelPool pool;
    private @Nullable String appId;
    private @Nullable String daprApiToken;
    private RetryPolicy retryPolicy = ADR_005;
    private Duration timeout = Duration.ofSeconds(30);
    private CircuitBreakers breakers = CircuitBreakers.defaults();
    private MeterRegistry meters = Metrics.globalRegistry;

    private Builder() {}

    /**
     * The gRPC target, e.g. the Dapr sidecar {@code localhost:50001}.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder target(String target) {
      Objects.requireNonNull(target, "target");
      if (target.isBlank()) {
        throw Check.invalid("target", "'" + target + "'", "host:port");
      }
      this.target = target;
      return this;
    }

    /**
     * Leases the channel for {@link #target} from the application's shared pool instead of creating
     * one; {@link #close()} releases the lease. Default: the client creates its own channel.
     */
    public Builder channelPool(ChannelPool pool) {
      this.pool = Objects.requireNonNull(pool, "channelPool");
      return this;
    }

    /** An existing channel to use instead of {@link #target}; the client will not close it. */
    public Builder channel(Channel channel) {
      this.channel = Objects.requireNonNull(channel, "channel");
      return this;
    }

    /**
     * The Dapr app id of the AI model service, sent as {@code dapr-app-id}. Required.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder appId(String appId) {
      this.appId = Check.nonBlank("appId", appId);
      return this;
    }

    /** The Dapr API token, sent as {@code dapr-api-token} and never logged. Default none. */
    public Builder daprApiToken(String token) {
      this.daprApiToken = Objects.requireNonNull(token, "daprApiToken");
      return this;
    }

    /** The retry policy. Default {@link AiModelClient#ADR_005}. */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /**
     * The deadline of each call, retries included. Default 30 s.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Check.positive("timeout", timeout);
      return this;
    }

    /** The circuit breakers. Default Lifeline's. */
    public Builder circuitBreakers(CircuitBreakers breakers) {
      this.breakers = Objects.requireNonNull(breakers, "circuitBreakers");
      return this;
    }

    /** Where metrics go. Default {@link Metrics#globalRegistry}. */
    public Builder meterRegistry(MeterRegistry meters) {
      this.meters = Objects.requireNonNull(meters, "meterRegistry");
      return this;
    }

    /**
     * Returns the client.
     *
     * @throws IllegalStateException if the app id, or both target and channel, are missing
     */
    public AiModelClient build() {
      if (appId == null) {
        throw new IllegalStateException("appId: null (expected: the AI model's Dapr app id)");
      }
      if (pool != null && target == null) {
        throw new IllegalStateException(
            "target: null (expected: host:port to lease from the pool)");
      }
      if (target == null && channel == null) {
        throw new IllegalStateException("target: null (expected: host:port or a channel)");
      }
      return new AiModelClient(this, appId);
    }

    /** The target, which {@link #build()} requires whenever there is no channel. */
    private String requiredTarget() {
      return Objects.requireNonNull(target, "target");
    }
  }
}
