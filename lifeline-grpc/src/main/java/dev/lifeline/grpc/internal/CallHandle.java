package dev.lifeline.grpc.internal;

import io.grpc.CallOptions;
import io.grpc.Deadline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What one logical call shares with the channels its attempts pass through. The engine puts it in
 * each attempt's {@link CallOptions}; a pooled lease reads it to give the whole call its default
 * deadline, a group channel to route the attempt and learn from its outcome. A channel that sees a
 * handle knows an engine above it retries, so it makes exactly one attempt.
 *
 * <p>Thread-safe: attempts of one call never overlap, and each field is volatile.
 */
public final class CallHandle {

  /** The option under which attempts carry their handle. */
  public static final CallOptions.Key<CallHandle> KEY = CallOptions.Key.create("lifeline-call");

  private volatile boolean hasDeadline;
  private volatile @Nullable Deadline adopted;
  private volatile AttemptEvidence evidence = new AttemptEvidence();
  private volatile @Nullable String attemptTarget;
  private volatile boolean redirect;
  private volatile @Nullable GroupRoute route;

  CallHandle(boolean hasDeadline) {
    this.hasDeadline = hasDeadline;
  }

  /** The handle an attempt's options carry, or {@code null} if no engine drives the call. */
  public static @Nullable CallHandle of(CallOptions options) {
    return options.getOption(KEY);
  }

  /**
   * Gives the logical call {@code defaultDeadline} from now if it has no deadline yet (the first
   * lease an attempt passes decides) and returns the call's deadline, or {@code null} if it already
   * had one of its own.
   */
  public synchronized @Nullable Deadline adoptDefaultDeadline(Duration defaultDeadline) {
    if (hasDeadline) {
      return adopted;
    }
    hasDeadline = true;
    adopted = Deadline.after(defaultDeadline.toNanos(), TimeUnit.NANOSECONDS);
    return adopted;
  }

  /** The default deadline a lease gave the call, or {@code null}. */
  @Nullable Deadline adoptedDeadline() {
    return adopted;
  }

  /** Starts a new attempt: fresh evidence, no target, no redirect yet. */
  AttemptEvidence beginAttempt() {
    AttemptEvidence e = new AttemptEvidence();
    evidence = e;
    attemptTarget = null;
    redirect = false;
    return e;
  }

  /** What this client sees of the current attempt. */
  public AttemptEvidence evidence() {
    return evidence;
  }

  /** Marks the current attempt as failed by Lifeline itself before anything was sent. */
  public void markLocalFailure() {
    evidence.markLocal();
  }

  /** The member a group channel sent the current attempt to, or {@code null}. */
  @Nullable String attemptTarget() {
    return attemptTarget;
  }

  void attemptTarget(String target) {
    this.attemptTarget = target;
  }

  /** Set by a group channel when the next attempt has a known destination and needs no backoff. */
  void redirect(boolean redirect) {
    this.redirect = redirect;
  }

  boolean redirected() {
    return redirect;
  }

  /** The group routing state of this call; {@code null} until a group channel routed it. */
  @Nullable GroupRoute route() {
    return route;
  }

  void route(GroupRoute route) {
    this.route = route;
  }
}
