package dev.lifeline.grpc.internal;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;

/**
 * What this client saw of one attempt, from grpc's own stream tracers: whether grpc created a
 * stream for it, whether request headers ever left for the server, and whether the server answered
 * anything. It is the client-local evidence behind "provably not sent" and "failed in the
 * transport": nothing here comes from text the server controls.
 *
 * <p>grpc creates a tracer for every stream of a call, transparent retries included, so "headers
 * sent" is true if any stream of the attempt wrote its headers. Thread-safe: fields are volatile
 * and only ever go from false to true.
 */
public final class AttemptEvidence extends ClientStreamTracer.Factory {

  private volatile boolean streamCreated;
  private volatile boolean onTransport;
  private volatile boolean headersSent;
  private volatile boolean serverAnswered;
  private volatile boolean local;

  @Override
  public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata h) {
    streamCreated = true;
    return new ClientStreamTracer() {
      @Override
      public void streamCreated(io.grpc.Attributes transportAttrs, Metadata headers) {
        onTransport = true;
      }

      @Override
      public void outboundHeaders() {
        headersSent = true;
      }

      @Override
      public void inboundHeaders() {
        serverAnswered = true;
      }

      @Override
      public void inboundHeaders(Metadata headers) {
        serverAnswered = true;
      }

      @Override
      public void inboundTrailers(Metadata trailers) {
        serverAnswered = true;
      }
    };
  }

  /** Marks an attempt that Lifeline failed itself before any stream existed. */
  void markLocal() {
    local = true;
  }

  /** Whether Lifeline failed the attempt itself, before any stream existed. */
  public boolean isLocal() {
    return local;
  }

  /**
   * Whether the request provably never left this client: Lifeline failed the attempt itself, or
   * grpc made a stream for it whose headers were never written. An attempt that went through a
   * channel that does not report to tracers is never counted as unsent.
   */
  public boolean neverSent() {
    return local || (streamCreated && !headersSent);
  }

  /**
   * Whether grpc gave the attempt a stream on a connected transport (a call waiting for a channel
   * to reconnect has none yet).
   */
  public boolean onTransport() {
    return onTransport;
  }

  /** Whether response headers or trailers arrived: the server itself answered. */
  public boolean serverAnswered() {
    return serverAnswered;
  }
}
