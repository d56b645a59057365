package dev.lifeline.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.core.spi.CallExecution;
import dev.lifeline.http.HttpRequest;
import org.junit.jupiter.api.Test;

class RequestRetryPolicyTest {

  private static final RetryPolicy CLIENT = RetryPolicy.builder().maxAttempts(3).build();
  private static final RetryPolicy ROUTE = RetryPolicy.builder().maxAttempts(5).build();
  private static final RetryPolicy POSTS = RetryPolicy.builder().maxAttempts(2).build();
  private static final RetryPolicy NEVER_REPEAT =
      RetryPolicy.builder().maxAttempts(4).idempotent(false).build();

  private final CallPolicy policy =
      CallPolicy.builder()
          .service("storage")
          .retryPolicy(CLIENT)
          .retryPolicy("PUT /w/{id}", ROUTE)
          .retryPolicy("POST", POSTS)
          .retryPolicy("GET /reports", NEVER_REPEAT)
          .build();

  @Test
  void resolvesRouteThenMethodThenClientAndTakesIdempotencyFromTheRequest() {
    Object[][] table = {
      // request, expected attempts, expected idempotent
      {HttpRequest.get("/w/1"), 3, true},
      {HttpRequest.builder("PUT", "/w/1").route("PUT /w/{id}").build(), 5, true},
      {HttpRequest.builder("POST", "/orders").build(), 2, false},
      {HttpRequest.builder("POST", "/orders").idempotent(true).build(), 2, true},
      {HttpRequest.builder("PATCH", "/w/1").build(), 3, false},
      {HttpRequest.builder("POST", "/w/1").route("PUT /w/{id}").build(), 5, false},
      {HttpRequest.builder("GET", "/reports").route("GET /reports").build(), 4, false},
      {HttpRequest.builder("GET", "/x").idempotent(false).build(), 3, false},
    };
    for (Object[] row : table) {
      HttpRequest r = (HttpRequest) row[0];
      RetryPolicy p = RequestRetryPolicy.of(policy, r);
      assertThat(p.maxAttempts()).as(r + " route " + r.route()).isEqualTo(row[1]);
      boolean idempotent =
          CallExecution.start(policy, "storage:443", r.route(), null, p, r.idempotent())
              .idempotent();
      assertThat(idempotent).as(r + " route " + r.route()).isEqualTo(row[2]);
    }
  }

  @Test
  void anIdempotentRequestUsesThePolicyAsItIs() {
    assertThat(RequestRetryPolicy.of(policy, HttpRequest.get("/x"))).isSameAs(CLIENT);
  }
}
