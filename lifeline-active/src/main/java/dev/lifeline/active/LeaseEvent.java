package dev.lifeline.active;

import dev.lifeline.active.internal.StoreOrder;
import java.util.Objects;
import java.util.Optional;

/**
 * One change of a group's lease seen by {@link LeaseStore#watch}: a write (the lease) or a delete
 * (empty), at a position of the store. Immutable and thread-safe.
 *
 * @param group the group
 * @param epoch the store generation of {@code revision} (see {@link Lease#epoch()})
 * @param revision the store revision of the change
 * @param lease the lease written, or empty for a delete or purge
 */
public record LeaseEvent(GroupId group, long epoch, long revision, Optional<Lease> lease) {

  /** Checks that no part is null. */
  public LeaseEvent {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(lease, "lease");
  }

  /** The write of {@code lease}. */
  public static LeaseEvent written(Lease lease) {
    return new LeaseEvent(lease.group(), lease.epoch(), lease.revision(), Optional.of(lease));
  }

  /** A delete of the group's lease at {@code revision}. */
  public static LeaseEvent deleted(GroupId group, long epoch, long revision) {
    return new LeaseEvent(group, epoch, revision, Optional.empty());
  }

  /**
   * Whether this change happened after {@code lease} was written. Watches deliver events late, so a
   * member must not step down for an event older than the lease it holds: a later epoch is later,
   * within one epoch the larger revision is.
   */
  public boolean isAfter(Lease lease) {
    return StoreOrder.isAfter(epoch, revision, lease.epoch(), lease.revision());
  }
}
