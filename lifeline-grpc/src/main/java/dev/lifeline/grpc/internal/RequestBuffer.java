package dev.lifeline.grpc.internal;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The request of one {@link EngineCall}, buffered until {@code halfClose} so that each attempt can
 * replay it: the caller's headers, its messages and its compression choice.
 *
 * <p>Not thread-safe: its owning {@code EngineCall} uses it only under the call's lock. A {@link
 * Replay} is an immutable snapshot, sent without it.
 */
final class RequestBuffer<ReqT> {

  /** {@code null} until the call starts. */
  private @Nullable Metadata headers;

  private final List<ReqT> messages = new ArrayList<>();

  /** {@code null} until the caller chooses. */
  private @Nullable Boolean compression;

  private boolean halfClosed;

  void headers(Metadata requestHeaders) {
    headers = requestHeaders;
  }

  void add(ReqT message) {
    if (halfClosed) {
      throw new IllegalStateException("call already half-closed");
    }
    messages.add(message);
  }

  void compression(boolean enabled) {
    compression = enabled;
  }

  /** Returns false if the request was already complete. */
  boolean halfClose() {
    if (halfClosed) {
      return false;
    }
    halfClosed = true;
    return true;
  }

  /**
   * A copy of the request for one attempt: fresh headers, so an attempt's additions stay its own.
   */
  Replay<ReqT> snapshot() {
    Metadata attemptHeaders = new Metadata();
    // Attempts start only after halfClose, which a started call alone may make.
    attemptHeaders.merge(Objects.requireNonNull(headers, "headers"));
    return new Replay<>(
        attemptHeaders, Collections.unmodifiableList(new ArrayList<>(messages)), compression);
  }

  /** One attempt's copy of the request. Immutable apart from {@code headers}, which it owns. */
  record Replay<ReqT>(Metadata headers, List<ReqT> messages, @Nullable Boolean compression) {

    /** Sends the body into a started attempt and completes it. */
    void sendTo(ClientCall<ReqT, ?> call) {
      if (compression != null) {
        call.setMessageCompression(compression);
      }
      for (ReqT m : messages) {
        call.sendMessage(m);
      }
      call.halfClose();
    }
  }
}
