package dev.lifeline.active.nats.internal;

import dev.lifeline.active.Acquisition;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import dev.lifeline.active.LeaseStoreException;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease operations of {@code NatsLeaseStore} on its {@link NatsBucket}: compare-and-set writes
 * at the key's revision, expiry by how long a revision has been visible here, the read-back after a
 * won compare-and-set, and the watches. The decisions are {@link LeaseDecisions} and {@link
 * StoreErrors}; this class does the I/O around them.
 *
 * <p>Thread-safe: its state is the bucket's and the {@link RevisionLog}'s, both thread-safe.
 */
public final class NatsLeases {

  private static final Logger log =
      LoggerFactory.getLogger("dev.lifeline.active.nats.NatsLeaseStore");

  /**
   * At most this many rewrites lift a won lease above the revisions this store has seen (see {@code
   * aboveRevisionsSeen}); beyond it the attempt fails and the next one goes on from there.
   */
  private static final int MAX_REWRITES = 1_000;

  private final NatsBucket bucket;
  private final RevisionLog revisions;
  private final Clock clock;
  private final Redactor redactor;
  private final Runnable afterWin;
  private final List<KeyWatch> watches = new CopyOnWriteArrayList<>();

  /**
   * @param afterWin runs right after a compare-and-set won, before the store checks it still holds:
   *     lets a test land a second write there, as nats-server#4320 does
   */
  public NatsLeases(
      NatsBucket bucket, RevisionLog revisions, Clock clock, Redactor redactor, Runnable afterWin) {
    this.bucket = bucket;
    this.revisions = revisions;
    this.clock = clock;
    this.redactor = redactor;
    this.afterWin = afterWin;
  }

  /** The open bucket, with every watch set up on it. */
  private OpenBucket bucket() {
    OpenBucket b = bucket.open();
    for (KeyWatch w : watches) {
      w.ensureOn(b);
    }
    return b;
  }

  /** An entry's value; a delete marker has none. */
  static byte[] valueOf(KeyValueEntry e) {
    byte[] v = e.getValue();
    return v == null ? new byte[0] : v;
  }

  private Optional<Lease> current(OpenBucket b, GroupId group)
      throws IOException, JetStreamApiException {
    return leaseIn(b, group, b.kv().get(LeaseCodec.key(group)));
  }

  /** The lease an entry read from the bucket holds; empty for none or a delete marker. */
  private Optional<Lease> leaseIn(OpenBucket b, GroupId group, @Nullable KeyValueEntry e) {
    String key = LeaseCodec.key(group);
    if (e == null || e.getOperation() != KeyValueOperation.PUT) {
      if (e != null) {
        revisions.sawRevision(b.epoch(), key, e.getRevision());
      }
      revisions.forgetSeen(key);
      return Optional.empty();
    }
    revisions.firstSeen(b.epoch(), key, e.getRevision());
    return Optional.of(LeaseCodec.decode(group, valueOf(e), b.epoch(), e.getRevision()));
  }

  /** See {@code LeaseStore#acquire}. */
  public Acquisition acquire(GroupId group, LeaseHolder holder, Duration ttl) {
    OpenBucket b = bucket();
    String key = LeaseCodec.key(group);
    Instant now = clock.instant();
    byte[] value = LeaseCodec.encode(holder, 0, now, now, ttl);
    try {
      Optional<Lease> cur = current(b, group);
      long floor = revisions.highestSeen(b.epoch(), key);
      long rev;
      if (cur.isEmpty()) {
        rev = b.kv().create(key, value);
      } else {
        Lease l = cur.get();
        if (!l.heldBy(holder)) {
          long visibleFor = revisions.nanos() - revisions.firstSeen(b.epoch(), key, l.revision());
          if (!LeaseDecisions.mayTakeOver(l.ttl(), ttl, visibleFor)) {
            return Acquisition.notWon(cur);
          }
          if (!bucket.stillThere(b)) {
            // The revision timed may belong to a bucket that was replaced meanwhile.
            throw new LeaseStoreException(
                "NATS bucket " + bucket.name() + " was deleted or recreated; trying again");
          }
          log.atInfo()
              .addKeyValue("group", group)
              .addKeyValue("expiredHolder", l.holderId())
              .addKeyValue("revision", l.revision())
              .addKeyValue("unchangedForMs", visibleFor / 1_000_000)
              .log("taking over an expired lease");
        }
        rev = b.kv().update(key, value, l.revision());
      }
      if (!bucket.stillThere(b)) {
        // The token is computed from the epoch: only a write in the bucket of that epoch counts.
        throw new LeaseStoreException(
            "NATS bucket "
                + bucket.name()
                + " was deleted or recreated during acquire; trying again");
      }
      rev = aboveRevisionsSeen(b, group, key, value, rev, floor);
      revisions.firstSeen(b.epoch(), key, rev);
      afterWin.run();
      @Nullable KeyValueEntry after = b.kv().get(key);
      if (after != null && LeaseDecisions.supersededAfterWin(rev, after.getRevision())) {
        log.atWarn()
            .addKeyValue("group", group)
            .addKeyValue("won", rev)
            .addKeyValue("latest", after.getRevision())
            .log(
                "NATS accepted this acquire, but a later write of the lease was already there;"
                    + " not a win (two compare-and-set writes won: nats-server#4320, fixed in"
                    + " 2.9.21)");
        return Acquisition.notWon(leaseIn(b, group, after));
      }
      return Acquisition.won(
          new Lease(
              group, holder, b.epoch(), LeaseCodec.token(b.epoch(), rev), rev, now, now, ttl));
    } catch (LeaseStoreException e) {
      throw e;
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      if (StoreErrors.classify(e) == StoreErrors.Kind.CONFLICT) {
        // Someone else wrote first. Whatever the re-read shows, even a lease of this very
        // holder (an older write, or a stale read), this attempt did not win.
        try {
          return Acquisition.notWon(current(b, group));
        } catch (IOException | JetStreamApiException | RuntimeException e2) {
          throw failure("acquire", group, b, e2);
        }
      }
      throw failure("acquire", group, b, e);
    }
  }

  /**
   * Lifts a lease just written at {@code rev} above {@code floor}, the highest revision of the key
   * this store had seen before the write (taken before it, as the watch soon reports the write
   * itself); see {@link LeaseDecisions#mustRewrite}. Otherwise the register downstream would refuse
   * every write of the new holder. Each rewrite is a compare-and-set at the lease's own revision,
   * so a foreign write in between loses the attempt.
   */
  private long aboveRevisionsSeen(
      OpenBucket b, GroupId group, String key, byte[] value, long rev, long floor)
      throws IOException, JetStreamApiException {
    if (!LeaseDecisions.mustRewrite(rev, floor)) {
      return rev;
    }
    long first = rev;
    int rewrites = 0;
    while (LeaseDecisions.mustRewrite(rev, floor)) {
      if (++rewrites > MAX_REWRITES) {
        throw new LeaseStoreException(
            "NATS bucket "
                + bucket.name()
                + " handed out revision "
                + rev
                + " of "
                + key
                + " again, "
                + (floor - rev)
                + " below one already seen; still rewriting, trying again");
      }
      rev = b.kv().update(key, value, rev);
    }
    log.atWarn()
        .addKeyValue("group", group)
        .addKeyValue("revision", first)
        .addKeyValue("highestSeen", floor)
        .addKeyValue("rewrites", rewrites)
        .log(
            "NATS handed out a lease revision it had already used (acknowledged writes were"
                + " lost); rewrote the lease above it so fencing tokens keep growing");
    return rev;
  }

  /** See {@code LeaseStore#renew}. */
  public Optional<Lease> renew(Lease lease) {
    OpenBucket b = bucket();
    if (lease.epoch() != b.epoch()) {
      // The bucket the lease lived in is gone; this revision means nothing in the new one.
      return Optional.empty();
    }
    String key = LeaseCodec.key(lease.group());
    Instant now = clock.instant();
    byte[] value =
        LeaseCodec.encode(lease.holder(), lease.token(), lease.acquiredAt(), now, lease.ttl());
    try {
      long rev = b.kv().update(key, value, lease.revision());
      if (!bucket.stillThere(b)) {
        // The revision matched in a recreated bucket: undo the overwrite of its lease.
        deleteQuietly(b, key, rev);
        return Optional.empty();
      }
      revisions.firstSeen(b.epoch(), key, rev);
      return Optional.of(
          new Lease(
              lease.group(),
              lease.holder(),
              b.epoch(),
              lease.token(),
              rev,
              lease.acquiredAt(),
              now,
              lease.ttl()));
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      if (leaseLost(b, e)) {
        return Optional.empty();
      }
      throw failure("renew", lease.group(), b, e);
    }
  }

  /**
   * Whether a renewal or release that failed with {@code e} lost its lease: someone else wrote
   * first, or the bucket the lease lived in is gone. Otherwise the store did not answer.
   */
  private boolean leaseLost(OpenBucket b, Exception e) {
    return StoreErrors.classify(e) == StoreErrors.Kind.CONFLICT || bucket.gone(b, e);
  }

  private void deleteQuietly(OpenBucket b, String key, long revision) {
    try {
      b.kv().delete(key, revision);
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      log.atDebug().addKeyValue("bucket", bucket.name()).log("could not undo a stray write");
    }
  }

  /** See {@code LeaseStore#tokenSeenDownstream}. */
  public void tokenSeenDownstream(GroupId group, long token) {
    OpenBucket b = bucket.current();
    if (b == null) {
      return;
    }
    long revision = LeaseDecisions.revisionOfToken(token, b.epoch());
    if (revision > 0) {
      revisions.sawRevision(b.epoch(), LeaseCodec.key(group), revision);
    }
  }

  /** See {@code LeaseStore#release}. */
  public boolean release(Lease lease) {
    OpenBucket b = bucket();
    if (lease.epoch() != b.epoch()) {
      return false;
    }
    try {
      if (!bucket.stillThere(b)) {
        return false;
      }
      b.kv().delete(LeaseCodec.key(lease.group()), lease.revision());
      return true;
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      if (leaseLost(b, e)) {
        return false;
      }
      throw failure("release", lease.group(), b, e);
    }
  }

  /** See {@code LeaseStore#read}. */
  public Optional<Lease> read(GroupId group) {
    OpenBucket b = bucket();
    try {
      return current(b, group);
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      throw failure("read", group, b, e);
    }
  }

  /** See {@code LeaseStore#watch}. */
  public AutoCloseable watch(GroupId group, Consumer<LeaseEvent> listener) {
    KeyWatch w = new KeyWatch(group, listener, revisions, redactor);
    watches.add(w);
    try {
      bucket();
    } catch (LeaseStoreException e) {
      log.atDebug()
          .addKeyValue("group", group)
          .addKeyValue("error", e.getMessage())
          .log("watch waits for the bucket");
    }
    return () -> {
      watches.remove(w);
      w.stop();
    };
  }

  private LeaseStoreException failure(String op, GroupId group, OpenBucket b, Exception e) {
    bucket.markRecheck(b);
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new LeaseStoreException(
        op
            + " of "
            + group
            + " in NATS bucket "
            + bucket.name()
            + " failed: "
            + redactor.redact(String.valueOf(e.getMessage())),
        redactor.sanitize(e));
  }

  /** Closes the bucket and every watch, then the connection (leases are left as they are). */
  public void close() {
    @Nullable Connection c = bucket.close();
    for (KeyWatch w : watches) {
      w.stop();
    }
    if (c != null) {
      try {
        c.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
