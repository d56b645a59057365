/**
 * Lifeline's HTTP client: a pooled Apache HttpClient 5 with the same retry policy, budget, breakers
 * and per-call report as the gRPC client.
 */
module dev.lifeline.http {
  // Annotations only: nullness (JSpecify) and lock contracts (Error Prone), checked at build time.
  requires static transitive org.jspecify;
  requires static com.google.errorprone.annotations;
  requires transitive dev.lifeline.core;
  requires org.apache.httpcomponents.client5.httpclient5;
  // HttpResponse.headers() hands out HttpCore 5 headers.
  requires transitive org.apache.httpcomponents.core5.httpcore5;
  requires org.slf4j;

  exports dev.lifeline.http;
}
