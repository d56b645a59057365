package dev.lifeline.http.internal;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.http.HttpRequest;

/** Which retry policy governs one HTTP request. Stateless and thread-safe. */
public final class RequestRetryPolicy {

  private RequestRetryPolicy() {}

  /**
   * The policy of {@code request}: the call policy's override for its route, else for its HTTP
   * method, else the client-wide policy. Whether the request may run twice is then the policy's
   * explicit {@code idempotent(...)} if it says so, else the request's own (its HTTP method, or an
   * explicit declaration): a route override written to change attempts never makes a POST
   * repeatable by accident.
   */
  public static RetryPolicy of(CallPolicy policy, HttpRequest request) {
    RetryPolicy p = policy.methodPolicies().get(request.route());
    return p != null ? p : policy.retryPolicy(request.method());
  }
}
