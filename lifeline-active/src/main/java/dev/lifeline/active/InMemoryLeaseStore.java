package dev.lifeline.active;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded lease store for groups whose members share one JVM (the demo, tests). Expiry is
 * measured on the injected {@link Ticker} from the moment of each write, which is after the holder
 * started its request, as {@link LeaseStore} requires. Revisions come from one counter that only
 * grows, so tokens only grow across groups and tenures of one store object (epoch 0); a new store
 * object starts again at 1, so downstream systems fenced across JVM restarts need the NATS store. A
 * lease of another incarnation of the same member id is foreign, like any other holder's.
 *
 * <p>Thread-safe: all state changes only under this object's monitor; listeners are called outside
 * it.
 */
public final class InMemoryLeaseStore implements LeaseStore {

  private static final Logger log = LoggerFactory.getLogger(InMemoryLeaseStore.class);

  private record Entry(Lease lease, long expiresAtNanos) {}

  /** One store, one revision space for its whole life: the epoch never changes. */
  private static final long EPOCH = 0;

  private final Ticker ticker;
  private final Clock clock;

  @GuardedBy("this")
  private final Map<GroupId, Entry> entries = new HashMap<>();

  @GuardedBy("this")
  private long lastRevision;

  private final Map<GroupId, List<Consumer<LeaseEvent>>> watchers = new ConcurrentHashMap<>();

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

  @GuardedBy("this")
  private @Nullable Entry live(GroupId group) {
    Entry e = entries.get(group);
    if (e != null && ticker.nanos() - e.expiresAtNanos >= 0) {
      entries.remove(group);
      return null;
    }
    return e;
  }

  @GuardedBy("this")
  private Lease write(Lease lease) {
    entries.put(lease.group(), new Entry(lease, ticker.nanos() + lease.ttl().toNanos()));
    return lease;
  }

  @Override
  public Acquisition acquire(GroupId group, LeaseHolder holder, Duration ttl) {
    Lease result;
    synchronized (this) {
      Entry e = live(group);
      if (e != null && !e.lease().heldBy(holder)) {
        return Acquisition.notWon(Optional.of(e.lease()));
      }
      long rev = ++lastRevision;
      Instant now = clock.instant();
      result = write(new Lease(group, holder, EPOCH, rev, rev, now, now, ttl));
    }
    notify(LeaseEvent.written(result));
    return Acquisition.won(result);
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
                  old.holder(),
                  EPOCH,
                  old.token(),
                  ++lastRevision,
                  old.acquiredAt(),
                  clock.instant(),
                  old.ttl()));
    }
    // Watchers see renewals, as on NATS, so standbys time a crashed holder's expiry from its last
    // renewal rather than from their last poll.
    notify(LeaseEvent.written(renewed));
    return Optional.of(renewed);
  }

  @Override
  public boolean release(Lease lease) {
    long rev;
    synchronized (this) {
      Entry e = live(lease.group());
      if (e == null || e.lease().revision() != lease.revision()) {
        return false;
      }
      entries.remove(lease.group());
      // The delete takes a revision of its own, as a NATS delete marker does, so watchers can
      // tell it from older news.
      rev = ++lastRevision;
    }
    notify(LeaseEvent.deleted(lease.group(), EPOCH, rev));
    return true;
  }

  @Override
  public synchronized Optional<Lease> read(GroupId group) {
    Entry e = live(group);
    return e == null ? Optional.empty() : Optional.of(e.lease());
  }

  @Override
  public AutoCloseable watch(GroupId group, Consumer<LeaseEvent> listener) {
    List<Consumer<LeaseEvent>> list =
        watchers.computeIfAbsent(group, g -> new CopyOnWriteArrayList<>());
    list.add(listener);
    return () -> list.remove(listener);
  }

  private void notify(LeaseEvent event) {
    for (Consumer<LeaseEvent> l : watchers.getOrDefault(event.group(), List.of())) {
      try {
        l.accept(event);
      } catch (RuntimeException e) {
        // A failing watcher is its own problem, not the writer's: the write has happened.
        log.atWarn().addKeyValue("group", event.group()).setCause(e).log("lease watcher failed");
      }
    }
  }

  /** Nothing to release: the store lives as long as the JVM references it. */
  @Override
  public void close() {}
}
