package dev.lifeline.active;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where a group's lease lives: one record per group, changed only by compare-and-set, with a
 * fencing token that only grows.
 *
 * <p>Identity: a lease belongs to a {@link LeaseHolder} incarnation, not to a member id. A lease
 * written by the same id under another incarnation (a restarted or duplicated process) is foreign:
 * it is taken over only once expired or released, never at once.
 *
 * <p>Expiry: a lease that nobody renews for its TTL is treated as absent. How a store measures this
 * is its own business, but it must never consider a lease expired earlier than {@code ttl} after
 * the holder <em>started</em> the request that wrote it; the holder's own deadline ({@link
 * ActiveOptions#safetyMargin()}) relies on that. A value the store cannot read is a foreign lease
 * ({@link Lease#unreadable}) that expires the same way, never a permanent block.
 *
 * <p>Every method may block for a bounded time and throws {@link LeaseStoreException} when the
 * store cannot answer. Implementations are thread-safe.
 */
public interface LeaseStore extends AutoCloseable {

  /**
   * Acquires the group's lease for {@code holder} if nobody else holds a live one: create if
   * absent, or compare-and-set over an expired lease or over a lease of this very incarnation.
   *
   * @return a win (this call's write created the lease, with a fresh token) or the lease current
   *     instead; a lost compare-and-set is never a win, even when the lease now shown is the
   *     caller's own
   * @throws LeaseStoreException if the store cannot answer
   */
  Acquisition acquire(GroupId group, LeaseHolder holder, Duration ttl);

  /**
   * Renews {@code lease} with compare-and-set on its revision.
   *
   * @return the renewed lease (same token, newer revision), or empty if the lease was lost (another
   *     write or a delete happened, it expired, or the store generation it lived in is gone)
   * @throws LeaseStoreException if the store cannot answer; the lease may or may not be renewed
   */
  Optional<Lease> renew(Lease lease);

  /**
   * Releases {@code lease} with delete-at-revision; watchers learn at once.
   *
   * @return whether the lease was still current and is now deleted
   * @throws LeaseStoreException if the store cannot answer
   */
  boolean release(Lease lease);

  /**
   * Reads the group's current lease.
   *
   * @return the current lease, or empty if none (or it has expired)
   * @throws LeaseStoreException if the store cannot answer
   */
  Optional<Lease> read(GroupId group);

  /**
   * Watches the group's lease: {@code listener} receives every write (acquisitions and renewals)
   * and every delete, each with its store position, so that a member can tell a late event from a
   * new one. Renewals matter: standbys then time a silent holder's expiry from its last renewal,
   * and take over about one TTL after a crash instead of up to a heartbeat later. Events may arrive
   * late, never out of order. The listener must not block.
   *
   * @return a handle that stops the watch
   * @throws LeaseStoreException if the watch cannot be set up
   */
  AutoCloseable watch(GroupId group, Consumer<LeaseEvent> listener);

  /**
   * Tells the store that a downstream system accepted fencing token {@code token} for the group, so
   * that leases it hands out from now on carry a higher one. A store whose tokens never go back
   * ignores it (the default, and {@link InMemoryLeaseStore}). A replicated store that can lose
   * writes it acknowledged (nats-server 2.9 after its stream leader dies) may otherwise hand out a
   * token the downstream system already saw, and the new holder is fenced off for its whole tenure.
   * Never blocks; a token of another store generation is ignored.
   */
  default void tokenSeenDownstream(GroupId group, long token) {}

  /** Releases the store's own resources (not the leases). */
  @Override
  void close();
}
