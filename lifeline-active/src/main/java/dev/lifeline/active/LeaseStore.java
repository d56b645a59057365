package dev.lifeline.active;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where a group's lease lives: one record per group, changed only by compare-and-set, with a
 * fencing token that only grows.
 *
 * <p>Expiry: a lease that nobody renews for its TTL is treated as absent. How a store measures this
 * is its own business, but it must never consider a lease expired earlier than {@code ttl} after
 * the holder <em>started</em> the request that wrote it; the holder's own deadline ({@link
 * ActiveOptions#safetyMargin()}) relies on that.
 *
 * <p>Every method may block for a bounded time and throws {@link LeaseStoreException} when the
 * store cannot answer. Implementations are thread-safe.
 */
public interface LeaseStore extends AutoCloseable {

  /**
   * Acquires the group's lease for {@code holderId} if nobody else holds a live one: create if
   * absent, or compare-and-set over an expired lease or over the holder's own earlier lease.
   *
   * @return the lease now current: the caller's if it won (a fresh token), another holder's if that
   *     one is live, or empty if the store has none even after the attempt
   * @throws LeaseStoreException if the store cannot answer
   */
  Optional<Lease> acquire(GroupId group, String holderId, String holderAddress, Duration ttl);

  /**
   * Renews {@code lease} with compare-and-set on its revision.
   *
   * @return the renewed lease (same token, newer revision), or empty if the lease was lost (another
   *     write or a delete happened, or it expired)
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
   * Watches the group's lease: {@code listener} receives the new lease after each acquisition by a
   * new holder, and empty after a release. Renewals should be reported too (both built-in stores
   * do): standbys then time a silent holder's expiry from its last renewal, and take over about one
   * TTL after a crash instead of up to a heartbeat later. The listener must not block.
   *
   * @return a handle that stops the watch
   * @throws LeaseStoreException if the watch cannot be set up
   */
  AutoCloseable watch(GroupId group, Consumer<Optional<Lease>> listener);

  /** Releases the store's own resources (not the leases). */
  @Override
  void close();
}
