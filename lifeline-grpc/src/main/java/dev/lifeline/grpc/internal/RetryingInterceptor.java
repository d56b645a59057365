package dev.lifeline.grpc.internal;

import dev.lifeline.core.CallPolicy;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * Runs unary and server-streaming calls through a {@link CallPolicy}: retries, budget, breaker,
 * static headers and the typed exhaustion error. Client-streaming and bidi calls only get the
 * static headers (and grpc's own transparent retry).
 *
 * <p>Thread-safe and stateless apart from its immutable configuration.
 */
public final class RetryingInterceptor implements ClientInterceptor {

  private final CallPolicy policy;
  private final ScheduledExecutorService scheduler;
  private final @Nullable String target;

  /**
   * @param target the target name for budgets, breakers and reports; {@code null} to use the
   *     channel's authority
   */
  public RetryingInterceptor(
      CallPolicy policy, ScheduledExecutorService scheduler, @Nullable String target) {
    this.policy = policy;
    this.scheduler = scheduler;
    this.target = target;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    String t = target != null ? target : next.authority();
    switch (method.getType()) {
      case UNARY, SERVER_STREAMING -> {
        if (CallHandle.of(callOptions) != null) {
          // Already an attempt of an engine further out: one engine per call, never two.
          return next.newCall(method, callOptions);
        }
        return new EngineCall<>(policy, scheduler, t, method, callOptions, next);
      }
      default -> {
        return new SimpleForwardingClientCall<ReqT, RespT>(next.newCall(method, callOptions)) {
          @Override
          public void start(Listener<RespT> listener, Metadata headers) {
            addStaticHeaders(policy.headers(), headers);
            super.start(listener, headers);
          }
        };
      }
    }
  }

  /** The engine's call for {@code method}, whose attempts go to {@code next}. */
  public static <ReqT, RespT> ClientCall<ReqT, RespT> engineCall(
      CallPolicy policy,
      ScheduledExecutorService scheduler,
      String target,
      MethodDescriptor<ReqT, RespT> method,
      CallOptions callOptions,
      Channel next) {
    return new EngineCall<>(policy, scheduler, target, method, callOptions, next);
  }

  static void addStaticHeaders(Map<String, String> staticHeaders, Metadata headers) {
    for (Map.Entry<String, String> e : staticHeaders.entrySet()) {
      Metadata.Key<String> key = Metadata.Key.of(e.getKey(), Metadata.ASCII_STRING_MARSHALLER);
      if (!headers.containsKey(key)) {
        headers.put(key, e.getValue());
      }
    }
  }
}
