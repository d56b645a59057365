package dev.lifeline.active;

import dev.lifeline.core.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded lease store for groups whose members share one JVM (the demo, tests). Expiry is
 * measured on the injected {@link Ticker} from the moment of each write, which is after the holder
 * started its request, as {@link LeaseStore} requires. Revisions come from one counter that only
 * grows, so tokens only grow across groups and tenures.
 *
 * <p>Thread-safe: all state is guarded by {@code this}; listeners are called outside the lock.
 */
public final class InMemoryLeaseStore implements LeaseStore {

  private static final Logger log = LoggerFactory.getLogger(InMemoryLeaseStore.class);

  private record Entry(Lease lease, long expiresAtNanos) {}

  private final Ticker ticker;
  private final Clock clock;

  /** Guarded by this. */
  private final Map<GroupId, Entry> entries = new HashMap<>();

  /** Guarded by this. */
  private long lastRevision;

  private final Map<GroupId, List<Consumer<Optional<Lease>>>> watchers =
      new java.util.concurrent.ConcurrentHashMap<>();

  private InMemoryLeaseStore(Ticker ticker, Clock clock) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** A store on the system ticker and UTC clock. */
  public static InMemoryLeaseStore create() {
    return new InMemoryLeaseStore(Ticker.system(), Clock.systemUTC());
  }

  /** A store on the given time sources (tests pass a {@code FakeClock}). */
  public static InMemoryLeaseStore create(Ticker ticker, Clock clock) {
    return new InMemoryLeaseStore(ticker, clock);
  }

  private Entry live(GroupId group) {
    Entry e = entries.get(group);
    if (e != null && ticker.nanos() - e.expiresAtNanos >= 0) {
      entries.remove(group);
      return null;
    }
    return e;
  }

  private Lease write(Lease lease) {
    entries.put(lease.group(), new Entry(lease, ticker.nanos() + lease.ttl().toNanos()));
    return lease;
  }

  @Override
  public Optional<Lease> acquire(
      GroupId group, String holderId, String holderAddress, Duration ttl) {
    Lease result;
    boolean changedHolder;
    synchronized (this) {
      Entry e = live(group);
      if (e != null && !e.lease().heldBy(holderId)) {
        return Optional.of(e.lease());
      }
      long rev = ++lastRevision;
      Instant now = clock.instant();
      result = write(new Lease(group, holderId, holderAddress, rev, rev, now, now, ttl));
      changedHolder = e == null;
    }
    if (changedHolder) {
      notify(group, Optional.of(result));
    }
    return Optional.of(result);
  }

  @Override
  public Optional<Lease> renew(Lease lease) {
    Lease renewed;
    synchronized (this) {
      Entry e = live(lease.group());
      if (e == null || e.lease().revision() != lease.revision()) {
        return Optional.empty();
      }
      Lease old = e.lease();
      renewed =
          write(
              new Lease(
                  old.group(),
                  old.holderId(),
                  old.holderAddress(),
                  old.token(),
                  ++lastRevision,
                  old.acquiredAt(),
                  clock.instant(),
                  old.ttl()));
    }
    // Watchers see renewals, as on NATS, so standbys time a crashed holder's expiry from its last
    // renewal rather than from their last poll.
    notify(lease.group(), Optional.of(renewed));
    return Optional.of(renewed);
  }

  @Override
  public boolean release(Lease lease) {
    synchronized (this) {
      Entry e = live(lease.group());
      if (e == null || e.lease().revision() != lease.revision()) {
        return false;
      }
      entries.remove(lease.group());
    }
    notify(lease.group(), Optional.empty());
    return true;
  }

  @Override
  public synchronized Optional<Lease> read(GroupId group) {
    Entry e = live(group);
    return e == null ? Optional.empty() : Optional.of(e.lease());
  }

  @Override
  public AutoCloseable watch(GroupId group, Consumer<Optional<Lease>> listener) {
    List<Consumer<Optional<Lease>>> list =
        watchers.computeIfAbsent(group, g -> new CopyOnWriteArrayList<>());
    list.add(listener);
    return () -> list.remove(listener);
  }

  private void notify(GroupId group, Optional<Lease> lease) {
    for (Consumer<Optional<Lease>> l : watchers.getOrDefault(group, List.of())) {
      try {
        l.accept(lease);
      } catch (RuntimeException e) {
        // A failing watcher is its own problem, not the writer's: the write has happened.
        log.atWarn().addKeyValue("group", group).setCause(e).log("lease watcher failed");
      }
    }
  }

  /** Nothing to release: the store lives as long as the JVM references it. */
  @Override
  public void close() {}
}
