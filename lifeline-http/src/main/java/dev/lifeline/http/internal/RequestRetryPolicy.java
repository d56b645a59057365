package dev.lifeline.http.internal;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.http.HttpRequest;

/** Which retry policy governs one HTTP request. Stateless and thread-safe. */
public final class RequestRetryPolicy {

  private RequestRetryPolicy() {}

  /**
   * The policy of {@code request}: the call policy's override for its route, else for its HTTP
   * method, else the client-wide policy; made non-idempotent if the request is not idempotent, so
   * that a POST is retried only when it provably was not sent. A policy's own {@code
   * idempotent(false)} always stands.
   */
  public static RetryPolicy of(CallPolicy policy, HttpRequest request) {
    RetryPolicy p = policy.methodPolicies().get(request.route());
    if (p == null) {
      p = policy.retryPolicy(request.method());
    }
    // Idempotency is the request's to declare (its method, or an explicit declaration): a route
    // override written to change attempts must not make a POST repeatable by accident.
    return p.idempotent() && !request.idempotent() ? p.toBuilder().idempotent(false).build() : p;
  }
}
