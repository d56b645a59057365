package dev.lifeline.active;

import java.util.Objects;

/**
 * Who holds, or asks for, a group's lease. Immutable and thread-safe.
 *
 * <p>A member id alone does not identify a holder: a surge deploy, a copied configuration, or a
 * process restarted while its paused predecessor still lives can run two processes under one id.
 * The incarnation tells them apart. Each {@link ActiveMember} object draws a random one, so a lease
 * written by an earlier or parallel incarnation of the same id is a foreign lease like any other:
 * it is taken over only once it has expired or been released.
 *
 * @param id the member id (see {@link GroupId#checkId}); empty only for {@link #UNREADABLE}
 * @param incarnation unique per member object; empty in {@link #UNREADABLE} and in values written
 *     by versions without incarnations, which then match no live member
 * @param address {@code host:port} clients are hinted to while this holder is active; may be empty
 */
public record LeaseHolder(String id, String incarnation, String address) {

  /**
   * The holder of a lease value a store could not read (written by a foreign tool or corrupted). It
   * matches no member, so the value counts as a foreign lease that expires after the TTL.
   */
  public static final LeaseHolder UNREADABLE = new LeaseHolder("", "", "");

  /** Checks that no part is null. */
  public LeaseHolder {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(incarnation, "incarnation");
    Objects.requireNonNull(address, "address");
  }

  /**
   * Whether {@code other} is this very incarnation (same id and incarnation; the address may
   * differ). Only then may a member treat a lease as its own.
   */
  public boolean sameIncarnation(LeaseHolder other) {
    return !incarnation.isEmpty() && id.equals(other.id) && incarnation.equals(other.incarnation);
  }
}
