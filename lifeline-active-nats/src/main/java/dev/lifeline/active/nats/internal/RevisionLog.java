package dev.lifeline.active.nats.internal;

import dev.lifeline.core.Ticker;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one store saw of each key: when it first saw the key's current revision (on its own
 * monotonic ticker, the basis of expiry without server-side TTLs), and the highest revision it ever
 * saw (reads, watch events, deletes included, its own writes, and tokens seen downstream). A lease
 * the store wins must carry a higher revision, so its token is higher than any token it has seen
 * handed out, even after the stream lost acknowledged writes.
 *
 * <p>Thread-safe: concurrent maps, each update atomic per key.
 */
public final class RevisionLog {

  private record Seen(long epoch, long revision, long sinceNanos) {}

  /** The highest revision of a key this store has seen in the bucket of {@code epoch}. */
  private record Highest(long epoch, long revision) {}

  private final Ticker ticker;
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();
  private final Map<String, Highest> highest = new ConcurrentHashMap<>();

  public RevisionLog(Ticker ticker) {
    this.ticker = ticker;
  }

  /** The ticker's time now, in nanoseconds. */
  public long nanos() {
    return ticker.nanos();
  }

  /** Records that {@code revision} of {@code key} exists (or existed) in the bucket of epoch. */
  public void sawRevision(long epoch, String key, long revision) {
    highest.merge(
        key,
        new Highest(epoch, revision),
        (old, now) ->
            old.epoch > now.epoch || (old.epoch == now.epoch && old.revision >= now.revision)
                ? old
                : now);
  }

  /** The highest revision of {@code key} seen in the bucket of {@code epoch}; 0 if none. */
  public long highestSeen(long epoch, String key) {
    Highest h = highest.get(key);
    return h == null || h.epoch != epoch ? 0 : h.revision;
  }

  /** Records when this store first saw {@code revision} of {@code key}; returns that moment. */
  public long firstSeen(long epoch, String key, long revision) {
    sawRevision(epoch, key, revision);
    Seen s =
        seen.compute(
            key,
            (k, old) ->
                old != null && old.epoch == epoch && old.revision == revision
                    ? old
                    : new Seen(epoch, revision, ticker.nanos()));
    return s.sinceNanos;
  }

  /** Forgets when the key's lease was first seen: it was deleted, or is not there. */
  public void forgetSeen(String key) {
    seen.remove(key);
  }

  /** Forgets every first sighting: the bucket was recreated, its revisions mean something new. */
  public void forgetAllSeen() {
    seen.clear();
  }
}
