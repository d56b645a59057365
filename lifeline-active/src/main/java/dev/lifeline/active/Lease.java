package dev.lifeline.active;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One group's lease as a store holds it. Immutable and thread-safe.
 *
 * @param group the group
 * @param holderId the member holding it
 * @param holderAddress the holder's address ({@code host:port}) clients are hinted to; may be empty
 * @param token the fencing token: the store revision at which this holder acquired the lease. It
 *     only grows from one tenure to the next, so a downstream system that remembers the highest
 *     token it has seen can reject writes from a deposed holder.
 * @param revision the store revision of the latest write (acquire or renew); compare-and-set
 *     operations name it
 * @param acquiredAt wall time of the acquisition, for diagnostics only
 * @param renewedAt wall time of the latest renewal, for diagnostics only
 * @param ttl the time to live the holder asked for
 */
public record Lease(
    GroupId group,
    String holderId,
    String holderAddress,
    long token,
    long revision,
    Instant acquiredAt,
    Instant renewedAt,
    Duration ttl) {

  /** Checks the fields. */
  public Lease {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(holderId, "holderId");
    Objects.requireNonNull(holderAddress, "holderAddress");
    Objects.requireNonNull(acquiredAt, "acquiredAt");
    Objects.requireNonNull(renewedAt, "renewedAt");
    Objects.requireNonNull(ttl, "ttl");
    if (token <= 0 || revision < token) {
      throw new IllegalArgumentException(
          "token: " + token + ", revision: " + revision + " (expected: 0 < token <= revision)");
    }
  }

  /** Whether {@code memberId} holds this lease. */
  public boolean heldBy(String memberId) {
    return holderId.equals(memberId);
  }
}
