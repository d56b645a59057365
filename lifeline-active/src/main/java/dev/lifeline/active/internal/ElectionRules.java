package dev.lifeline.active.internal;

import dev.lifeline.active.Acquisition;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The decisions of a member's election loop, as pure functions of what the store answered and what
 * the member knows, so that each can be tested as a table: what a store's answer to an acquire or a
 * renewal means, what a foreign event on the watch means, and how long to wait before the next
 * attempt. Stateless and thread-safe.
 */
final class ElectionRules {

  /**
   * How long after its estimated expiry a standby tries to take over a silent lease: enough for the
   * store, which measures expiry from the write (or, for NATS, from when it first saw it), to
   * agree.
   */
  static final long EXPIRY_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /** The shortest gap between two acquire attempts, so a disagreeing store cannot cause a spin. */
  static final long MIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private ElectionRules() {}

  /** What an acquire's answer means. */
  enum Acquired {
    /** Another holder's lease, or none the store would give: stay STANDBY. */
    LOST,
    /** A "win" for a lease another holder wrote: a broken store; ignore it, stay STANDBY. */
    BOGUS_WIN,
    /** Won, but the watch already showed a later foreign write: no tenure (nats-server#4320). */
    SUPERSEDED,
    /** Won while closing: release the lease at once. */
    RELEASE,
    /** Won in time: a tenure starts. */
    ACTIVE,
    /** Won after the tenure it would start had already ended: acquire again before serving. */
    TOO_LATE
  }

  /** What a renewal's answer means. */
  enum Renewed {
    /** The member no longer holds the lease it renewed (a watch event or close decided). */
    OVERTAKEN,
    /** The store no longer holds the lease: another write or a delete. Step down. */
    LOST,
    /** Renewed in time: the tenure's deadline moves on. */
    EXTENDED,
    /** Renewed after the local deadline: the tenure has ended. Step down. */
    TOO_LATE,
    /** Renewed with no tenure to extend (it ended meanwhile): keep the lease, start no tenure. */
    KEPT
  }

  /** What a foreign write or delete on the watch means. */
  enum Foreign {
    /** It happened after the lease this member holds: the lease is gone. Step down. */
    LOSES_LEASE,
    /** A release while nobody here holds the lease: compete at once, not at the next poll. */
    COMPETE_NOW,
    /** Old news, or another holder's renewal: only observe it. */
    NOTHING
  }

  /**
   * What the store's answer to an acquire means for this member.
   *
   * @param me this member's holder
   * @param latestForeign the latest foreign write or delete the watch showed, if any
   * @param closing whether the member is closing
   * @param deadlineNanos the local deadline a tenure started by this attempt would have
   */
  static Acquired afterAcquire(
      Acquisition result,
      LeaseHolder me,
      @Nullable LeaseEvent latestForeign,
      boolean closing,
      long deadlineNanos,
      long nowNanos) {
    Lease current = result.current().orElse(null);
    if (!result.won() || current == null) {
      return Acquired.LOST;
    }
    if (!current.heldBy(me)) {
      return Acquired.BOGUS_WIN;
    }
    // A correct store never lets a write follow a fresh acquire that closely, but nats-server
    // before 2.9.21 accepts two compare-and-set writes of the same expected revision, and both
    // writers then see a win.
    if (latestForeign != null && latestForeign.isAfter(current)) {
      return Acquired.SUPERSEDED;
    }
    if (closing) {
      return Acquired.RELEASE;
    }
    return nowNanos - deadlineNanos < 0 ? Acquired.ACTIVE : Acquired.TOO_LATE;
  }

  /**
   * What the store's answer to a renewal means for this member.
   *
   * @param stillHeld whether the member still holds the lease it renewed
   * @param result the renewed lease, or empty if the store lost it
   * @param tenure the running tenure, if any
   * @param deadlineNanos the local deadline the renewal gives the tenure
   */
  static Renewed afterRenew(
      boolean stillHeld,
      Optional<Lease> result,
      @Nullable Tenure tenure,
      long deadlineNanos,
      long nowNanos) {
    if (!stillHeld) {
      return Renewed.OVERTAKEN;
    }
    Lease renewed = result.orElse(null);
    if (renewed == null) {
      return Renewed.LOST;
    }
    if (tenure == null || tenure.token() != renewed.token()) {
      return Renewed.KEPT;
    }
    return nowNanos - deadlineNanos < 0 ? Renewed.EXTENDED : Renewed.TOO_LATE;
  }

  /**
   * What a foreign write or delete on the watch means. Watches deliver late, so only a change after
   * the write this member knows as its latest ends its lease: a release seen after this member
   * already won the next election is old news, not a loss.
   *
   * @param held the lease this member holds, if any
   * @param closing whether the member is closing (it no longer competes)
   */
  static Foreign afterForeignEvent(LeaseEvent event, @Nullable Lease held, boolean closing) {
    if (held != null && event.isAfter(held)) {
      return Foreign.LOSES_LEASE;
    }
    if (event.lease().isEmpty() && held == null && !closing) {
      return Foreign.COMPETE_NOW;
    }
    return Foreign.NOTHING;
  }

  /**
   * When a standby tries again: at the next heartbeat, or just after the observed lease should have
   * expired if that comes first, so that a crashed active is replaced about one TTL after its last
   * renewal instead of up to a heartbeat later.
   *
   * @param expiryNanos when the observed lease expires at the latest; empty if none is observed
   */
  static long untilTakeover(long heartbeatNanos, OptionalLong expiryNanos, long nowNanos) {
    if (expiryNanos.isEmpty()) {
      return heartbeatNanos;
    }
    long left = expiryNanos.getAsLong() + EXPIRY_SLACK_NANOS - nowNanos;
    return Math.max(MIN_POLL_NANOS, Math.min(heartbeatNanos, left));
  }

  /** The wait after the {@code consecutiveErrors}-th store error in a row: doubling, capped. */
  static long storeBackoff(int consecutiveErrors, long heartbeatNanos, long maxBackoffNanos) {
    long base = heartbeatNanos << Math.min(consecutiveErrors - 1, 20);
    return Math.min(base, maxBackoffNanos);
  }

  /** The wait after a failed renewal: half a heartbeat, since the tenure is running out. */
  static long afterRenewError(long heartbeatNanos) {
    return Math.max(1, heartbeatNanos / 2);
  }

  /**
   * The local deadline of a tenure whose latest successful write was requested at {@code
   * requestStartNanos}: before any store can count the lease as expired.
   */
  static long tenureDeadline(long requestStartNanos, ActiveOptions opts) {
    return requestStartNanos + opts.ttl().toNanos() - opts.safetyMargin().toNanos();
  }
}
