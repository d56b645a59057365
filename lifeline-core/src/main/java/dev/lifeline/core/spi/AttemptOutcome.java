package dev.lifeline.core.spi;

import dev.lifeline.core.FailureKind;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How one failed attempt ended, as a transport reports it to {@link CallExecution#afterAttempt}.
 *
 * <p>Immutable and thread-safe; the methods without a {@code get}-style name return modified
 * copies.
 */
public final class AttemptOutcome {

  private final FailureKind kind;
  private final String status;
  private final boolean provablyNotSent;
  private final @Nullable Duration pushback;
  private final boolean streamStarted;
  private final boolean redirected;
  private final boolean local;

  private AttemptOutcome(
      FailureKind kind,
      String status,
      boolean provablyNotSent,
      @Nullable Duration pushback,
      boolean streamStarted,
      boolean redirected,
      boolean local) {
    this.kind = kind;
    this.status = status;
    this.provablyNotSent = provablyNotSent;
    this.pushback = pushback;
    this.streamStarted = streamStarted;
    this.redirected = redirected;
    this.local = local;
  }

  /**
   * A failed attempt of {@code kind}, described by {@code status} (e.g. {@code "UNAVAILABLE
   * (connection refused)"}).
   */
  public static AttemptOutcome failure(FailureKind kind, String status) {
    return new AttemptOutcome(
        Objects.requireNonNull(kind, "kind"),
        Objects.requireNonNull(status, "status"),
        false,
        null,
        false,
        false,
        false);
  }

  /**
   * Marks that the request provably never reached the server's application (connection refused,
   * stream refused), so even a non-idempotent call may be retried.
   */
  public AttemptOutcome notSent() {
    return new AttemptOutcome(kind, status, true, pushback, streamStarted, redirected, local);
  }

  /**
   * The server's pushback: a non-negative delay replaces the backoff; a negative one means "do not
   * retry".
   */
  public AttemptOutcome pushback(@Nullable Duration pushback) {
    return new AttemptOutcome(
        kind, status, provablyNotSent, pushback, streamStarted, redirected, local);
  }

  /** Marks that a streaming response had already delivered a message, so it cannot be retried. */
  public AttemptOutcome streamStarted() {
    return new AttemptOutcome(kind, status, provablyNotSent, pushback, true, redirected, local);
  }

  /**
   * Marks that the transport already knows where the next attempt must go (a leader hint, or the
   * member another call just found active), so it is made at once instead of after a backoff. It
   * still counts as an attempt.
   */
  public AttemptOutcome redirect() {
    return new AttemptOutcome(kind, status, provablyNotSent, pushback, streamStarted, true, local);
  }

  /** Whether the next attempt has a known, better destination and needs no backoff. */
  public boolean isRedirected() {
    return redirected;
  }

  /**
   * Marks a failure produced on this side before the request left, e.g. waiting for a pooled
   * connection, a deadline that had already passed, a group without members, or a request the
   * transport refused to send. It says nothing about the server, so the circuit breaker releases
   * the permission without recording anything; and since nothing was sent, it implies {@link
   * #notSent()}.
   */
  public AttemptOutcome local() {
    return new AttemptOutcome(kind, status, true, pushback, streamStarted, redirected, true);
  }

  /** Whether the failure happened on this side before the request left ({@link #local()}). */
  public boolean isLocal() {
    return local;
  }

  /** The failure's classification. */
  public FailureKind kind() {
    return kind;
  }

  /** The transport's status text. */
  public String status() {
    return status;
  }

  /** Whether the request provably never reached the server. */
  public boolean isProvablyNotSent() {
    return provablyNotSent || kind == FailureKind.NOT_ACTIVE;
  }

  /** The server's pushback, if it sent one. */
  public Optional<Duration> pushbackDelay() {
    return Optional.ofNullable(pushback);
  }

  /** Whether a streaming response had already delivered a message. */
  public boolean isStreamStarted() {
    return streamStarted;
  }
}
