package dev.lifeline.active.internal;

import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * What a member knows of the leases other holders wrote: the latest one it saw (for hints, the
 * takeover time and diagnostics), when that last changed, and the latest foreign write or delete
 * the watch showed, in store order.
 *
 * <p>Not thread-safe: the member keeps it under its lock.
 */
final class ObservedLease {

  private @Nullable Lease lastSeen;

  /** When {@link #lastSeen} last changed (a write, a renewal, a delete); -1 before the first. */
  private long lastChangeNanos = -1;

  private @Nullable LeaseEvent latestForeign;

  /**
   * Records what the store shows now; a lease of {@code me} counts as none.
   *
   * @return whether it shows a tenure of another holder not seen before (an election lost)
   */
  boolean observe(Optional<Lease> current, LeaseHolder me, long nowNanos) {
    Lease c = current.filter(l -> !l.heldBy(me)).orElse(null);
    Lease previous = lastSeen;
    if (c == null) {
      if (previous != null) {
        lastChangeNanos = nowNanos;
      }
      lastSeen = null;
      return false;
    }
    boolean newTenure = previous == null || previous.token() != c.token();
    if (previous == null || previous.revision() != c.revision() || previous.epoch() != c.epoch()) {
      lastChangeNanos = nowNanos;
    }
    lastSeen = c;
    return newTenure;
  }

  /** Records a foreign write or delete the watch showed, if it is the latest so far. */
  void foreignEvent(LeaseEvent event) {
    LeaseEvent latest = latestForeign;
    if (latest == null
        || StoreOrder.isAfter(event.epoch(), event.revision(), latest.epoch(), latest.revision())) {
      latestForeign = event;
    }
  }

  /** The latest foreign write or delete the watch showed, if any. */
  @Nullable LeaseEvent latestForeign() {
    return latestForeign;
  }

  /** The latest lease of another holder, or null if none is known (none, released, expired). */
  @Nullable Lease lastSeen() {
    return lastSeen;
  }

  /**
   * Forgets the observed lease once this member won.
   *
   * @return how long the takeover took since the previous holder's last sign of life, if known
   */
  OptionalLong won(long nowNanos) {
    lastSeen = null;
    return lastChangeNanos < 0 ? OptionalLong.empty() : OptionalLong.of(nowNanos - lastChangeNanos);
  }

  /**
   * When the store will count the observed lease as expired, at the latest: the holder wrote it
   * before this member observed it. Empty if no lease is observed.
   */
  OptionalLong expectedExpiryNanos(Duration ownTtl) {
    Lease seen = lastSeen;
    if (seen == null) {
      return OptionalLong.empty();
    }
    long ttl = Math.max(seen.ttl().toNanos(), ownTtl.toNanos());
    return OptionalLong.of(lastChangeNanos + ttl);
  }
}
