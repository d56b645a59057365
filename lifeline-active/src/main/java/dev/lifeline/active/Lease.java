package dev.lifeline.active;

import dev.lifeline.core.internal.Check;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One group's lease as a store holds it. Immutable and thread-safe.
 *
 * @param group the group
 * @param holder who wrote it: member id, incarnation and address
 * @param epoch which generation of the store the revisions belong to: 0 for {@link
 *     InMemoryLeaseStore}; for NATS the creation time of the bucket in microseconds, so that a
 *     bucket deleted and created again starts a new revision space
 * @param token the fencing token of the tenure: it grows from one tenure to the next, also across a
 *     recreated NATS bucket, so a downstream system that remembers the highest token it has seen
 *     can reject writes from a deposed holder
 * @param revision the store revision of the latest write (acquire or renew) within {@code epoch};
 *     compare-and-set operations name it
 * @param acquiredAt wall time of the acquisition, for diagnostics only
 * @param renewedAt wall time of the latest renewal, for diagnostics only
 * @param ttl the time to live the holder asked for; zero for an unreadable value
 */
public record Lease(
    GroupId group,
    LeaseHolder holder,
    long epoch,
    long token,
    long revision,
    Instant acquiredAt,
    Instant renewedAt,
    Duration ttl) {

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException if token or revision is not positive, or epoch is negative
   */
  public Lease {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(holder, "holder");
    Objects.requireNonNull(acquiredAt, "acquiredAt");
    Objects.requireNonNull(renewedAt, "renewedAt");
    Objects.requireNonNull(ttl, "ttl");
    Check.atLeast("token", token, 1);
    Check.atLeast("revision", revision, 1);
    Check.atLeast("epoch", epoch, 0);
  }

  /**
   * A value the store could not decode, at {@code revision}: a foreign lease of {@link
   * LeaseHolder#UNREADABLE} that expires after the reader's TTL, never a permanent block.
   */
  public static Lease unreadable(GroupId group, long epoch, long token, long revision) {
    return new Lease(
        group,
        LeaseHolder.UNREADABLE,
        epoch,
        token,
        revision,
        Instant.EPOCH,
        Instant.EPOCH,
        Duration.ZERO);
  }

  /** The holder's member id. */
  public String holderId() {
    return holder.id();
  }

  /** The holder's address; may be empty. */
  public String holderAddress() {
    return holder.address();
  }

  /** Whether a member with id {@code memberId} wrote it, in any incarnation. */
  public boolean heldBy(String memberId) {
    return holder.id().equals(memberId);
  }

  /** Whether exactly this incarnation wrote it (see {@link LeaseHolder#sameIncarnation}). */
  public boolean heldBy(LeaseHolder candidate) {
    return holder.sameIncarnation(candidate);
  }

  /** Whether the store could read the value; an unreadable one names no holder to hint to. */
  public boolean readable() {
    return holder != LeaseHolder.UNREADABLE;
  }
}
