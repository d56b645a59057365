package dev.lifeline.http;

import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.RetryPolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Run by {@link ResponseSizeTest} in a child JVM with a small heap: a server announces {@code
 * Content-Length: 1500000000} and sends 3 bytes. Prints one {@code key=value} line per finding.
 */
public final class SmallHeapProbe {

  private SmallHeapProbe() {}

  public static void main(String[] args) throws Exception {
    System.out.println("max_heap=" + Runtime.getRuntime().maxMemory());
    try (RawServer liar =
        new RawServer(
            s -> {
              String head = RawServer.readHead(s.getInputStream());
              OutputStream out = s.getOutputStream();
              if (head.startsWith("GET /huge")) {
                out.write(
                    "HTTP/1.1 200 OK\r\nContent-Length: 1500000000\r\n\r\nabc"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.getInputStream().readAllBytes();
              } else {
                out.write(
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
              }
            })) {
      CircuitBreakers breakers =
          CircuitBreakers.builder()
              .permittedCallsInHalfOpenState(1)
              .meterRegistry(new SimpleMeterRegistry())
              .build();
      try (LifelineHttpClient client =
          HttpClientConfig.builder(liar.baseUrl("http"))
              .callPolicy(
                  CallPolicy.builder()
                      .service("liar")
                      .meterRegistry(new SimpleMeterRegistry())
                      .circuitBreakers(breakers)
                      .retryPolicy(RetryPolicy.noRetry())
                      .build())
              .callTimeout(Duration.ofSeconds(5))
              .buildClient()) {
        CircuitBreaker breaker = breakers.breaker("liar", "127.0.0.1:" + liar.port(), "GET");
        breaker.transitionToOpenState();
        breaker.transitionToHalfOpenState();
        try {
          client.execute(HttpRequest.get("/huge"));
          System.out.println("huge=returned");
        } catch (LifelineHttpException e) {
          System.out.println("huge=" + e.errorType().value());
        } catch (Throwable t) {
          System.out.println("huge=threw " + t.getClass().getName());
        }
        System.out.println("breaker_after_huge=" + breaker.getState());
        try {
          System.out.println("next=" + client.execute(HttpRequest.get("/ok")).bodyText());
        } catch (LifelineHttpException e) {
          System.out.println("next=" + e.errorType().value());
        }
      }
    }
    System.out.flush();
    System.exit(0);
  }
}
