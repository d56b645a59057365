package dev.lifeline.active.nats;

import dev.lifeline.active.Acquisition;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.active.LeaseStoreException;
import dev.lifeline.active.nats.internal.BucketRules;
import dev.lifeline.active.nats.internal.LeaseCodec;
import dev.lifeline.active.nats.internal.NatsListeners;
import dev.lifeline.active.nats.internal.Redactor;
import dev.lifeline.core.Ticker;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.KeyValueOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.KeyValueWatchOption;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link LeaseStore} on a NATS JetStream Key-Value bucket: one key per group ({@code
 * service.group}) holding the holder's id, incarnation and address, the acquire and renew times and
 * the TTL. The KV revision is the compare-and-set handle. The fencing token is the bucket's epoch
 * (its creation time in microseconds) plus the revision of the acquiring write, so tokens keep
 * growing even across a bucket that was deleted and created again.
 *
 * <ul>
 *   <li>acquire: {@code create} (create-if-absent), or {@code update} at the observed revision over
 *       an expired lease or over one of the caller's own incarnation; a lost compare-and-set is
 *       never reported as a win;
 *   <li>renew: {@code update} at the lease's revision;
 *   <li>release: {@code delete} at the lease's revision (watchers see the delete marker at once).
 * </ul>
 *
 * <p>Expiry without server-side per-message TTL (Debian's nats-server 2.9 has none): this store
 * remembers, on its own monotonic {@link Ticker}, when it first saw each revision of each key. A
 * lease is expired once the same revision has been visible for the lease's TTL (the larger of the
 * holder's and the caller's). The holder wrote that revision before it became visible here and
 * stops serving {@code ttl - safetyMargin} after starting that write, so no wall-clock agreement
 * between machines is needed, only clocks that run at roughly the same rate.
 *
 * <p>The bucket. Created on first use if missing (file storage, history 1, the configured replicas;
 * direct gets off when replicated), unless {@link Builder#createBucket} is off. An existing bucket
 * is checked before use and refused, with a message naming each setting, if it could break the
 * guarantees: a history other than 1, a max age, memory storage, direct gets on several replicas, a
 * mirror or sources, discard-old limits, a tiny value size. A bucket that disappears under a
 * running store is never created again by that store (the leases of running members were in it):
 * the store fails until the bucket returns, then continues on it with the new epoch, its old leases
 * void.
 *
 * <p>Connection: made lazily by the first operation, one bounded attempt per call, so the store can
 * be built while NATS is down; operations then fail with {@link LeaseStoreException} until the
 * server is reachable, and members stay STANDBY. Once connected, jnats reconnects by itself for
 * ever; a connection jnats closed for good (after the same authentication error twice) is replaced.
 * Pings every {@link Builder#pingInterval} find a dead link within about three intervals.
 * Credentials never appear in logs or exception messages: URLs are logged without their user info,
 * and passwords and tokens are masked in every message that passes through the store.
 *
 * <p>Thread-safe.
 */
public final class NatsLeaseStore implements LeaseStore {

  private static final Logger log = LoggerFactory.getLogger(NatsLeaseStore.class);

  /** JetStream's "wrong last sequence" API error code: the compare-and-set lost. */
  private static final int WRONG_LAST_SEQUENCE = 10071;

  /** JetStream's "stream not found" API error code: the bucket is gone. */
  private static final int STREAM_NOT_FOUND = 10059;

  private record Seen(long epoch, long revision, long sinceNanos) {}

  /** The highest revision of a key this store has seen in the bucket of {@code epoch}. */
  private record Highest(long epoch, long revision) {}

  /**
   * At most this many rewrites lift a won lease above the revisions this store has seen (see {@code
   * aboveRevisionsSeen}); beyond it the attempt fails and the next one goes on from there.
   */
  private static final int MAX_REWRITES = 1_000;

  /** A bucket opened and checked on one connection; replaced when either changes. */
  private record Bucket(Connection connection, KeyValue kv, KeyValueManagement kvm, long epoch) {}

  private final Options options;
  private final Redactor redactor;
  private final String servers;
  private final String bucketName;
  private final Duration requestTimeout;
  private final int replicas;
  private final boolean createBucket;
  private final Ticker ticker;
  private final Clock clock;
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();

  /**
   * Every revision of each key this store saw: reads, watch events (deletes included) and its own
   * writes. A lease it wins must carry a higher revision, so its token is higher than any token it
   * has seen handed out, even after the stream lost acknowledged writes.
   */
  private final Map<String, Highest> highest = new ConcurrentHashMap<>();

  private final List<Watch> watches = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();

  /**
   * Runs right after a compare-and-set won, before the store checks it still holds: lets a test
   * land a second write there, as nats-server#4320 does.
   */
  volatile Runnable afterWinForTesting = () -> {};

  /** Guarded by lock. */
  private Connection connection;

  /** Guarded by lock. */
  private Bucket bucket;

  /** Guarded by lock: an operation failed, so check the bucket again before the next one. */
  private boolean recheck;

  /** Guarded by lock: the epoch of the bucket last opened, 0 before the first. */
  private long lastEpoch;

  /** Guarded by lock. */
  private boolean closed;

  /** Guarded by lock: the server-version warning was logged (once per store). */
  private boolean warnedServer;

  private NatsLeaseStore(Builder b, Options options, Redactor redactor) {
    this.options = options;
    this.redactor = redactor;
    this.servers = redactor.redact(String.valueOf(options.getServers()));
    this.bucketName = b.bucket;
    this.requestTimeout = b.requestTimeout;
    this.replicas = b.replicas;
    this.createBucket = b.createBucket;
    this.ticker = b.ticker;
    this.clock = b.clock;
  }

  /**
   * Starts a builder for one server or a cluster, each URL {@code nats://host:port} or {@code
   * tls://host:port} (TLS with the JVM's default trust, or {@link Builder#sslContext}). Credentials
   * may be in the URLs ({@code nats://user:password@host:port}), but {@link Builder#userInfo},
   * {@link Builder#token} or {@link Builder#credentialsFile} keep them out of configuration files
   * that hold URLs.
   *
   * @throws IllegalArgumentException if no URL is given or one is not a nats:// or tls:// URL with
   *     a host (the message shows the URL without its user info)
   */
  public static Builder builder(String... servers) {
    return new Builder(servers);
  }

  /**
   * Starts a builder on jnats {@link Options} for full control of the connection (TLS, NKeys, JWT,
   * callbacks). The store keeps them except for what its guarantees need: reconnecting for ever,
   * pings at least every {@link Builder#pingInterval}, and its own error and connection listeners,
   * which log without credentials and then call yours (jnats' default logging listener is not
   * called: it would log connection details).
   *
   * @throws NullPointerException if options is null
   */
  public static Builder builder(Options options) {
    return new Builder(Objects.requireNonNull(options, "options"));
  }

  // ---- connection and bucket ---------------------------------------------------------------

  private Bucket bucket() {
    Bucket b;
    synchronized (lock) {
      if (closed) {
        throw new LeaseStoreException("NATS lease store closed (bucket " + bucketName + ")");
      }
      Connection c = liveConnection();
      if (bucket == null || bucket.connection() != c || recheck) {
        bucket = open(c);
        recheck = false;
      }
      b = bucket;
    }
    for (Watch w : watches) {
      w.ensureOn(b);
    }
    return b;
  }

  /** Guarded by lock. The connection, made or replaced if needed; throws unless connected. */
  private Connection liveConnection() {
    if (connection != null && connection.getStatus() == Connection.Status.CLOSED) {
      // jnats closes a connection for good after the same authentication error twice while
      // reconnecting; every operation would fail until a restart without this.
      log.atWarn()
          .addKeyValue("servers", servers)
          .addKeyValue("bucket", bucketName)
          .log("NATS connection was closed by the client library; opening a new one");
      connection = null;
      bucket = null;
    }
    if (connection == null) {
      // Connect lazily, one bounded attempt per call: a member that starts while NATS is down
      // keeps retrying from its own loop and stays STANDBY. Once connected, jnats reconnects.
      try {
        connection = Nats.connect(options);
      } catch (IOException | RuntimeException e) {
        throw new LeaseStoreException(
            "NATS not connected: cannot reach "
                + servers
                + " ("
                + redactor.redact(e.getMessage())
                + ")",
            redactor.sanitize(e));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LeaseStoreException("interrupted while connecting to " + servers);
      }
    }
    Connection.Status status = connection.getStatus();
    if (status != Connection.Status.CONNECTED) {
      throw new LeaseStoreException(
          "NATS not connected (status " + status + ", bucket " + bucketName + ")");
    }
    return connection;
  }

  /**
   * Guarded by lock. Opens the bucket on {@code c}: created if allowed, checked, its epoch read.
   */
  private Bucket open(Connection c) {
    KeyValueOptions kvo = KeyValueOptions.builder().jsRequestTimeout(requestTimeout).build();
    try {
      KeyValueManagement kvm = c.keyValueManagement(kvo);
      KeyValueStatus status = statusOrNull(kvm);
      if (status == null) {
        status = createMissing(c, kvm);
      }
      StreamInfo info = status.getBackingStreamInfo();
      List<String> problems = BucketRules.problems(info.getConfiguration());
      if (!problems.isEmpty()) {
        throw new LeaseStoreException(
            "NATS bucket "
                + bucketName
                + " refused: "
                + String.join("; ", problems)
                + ". Fix those settings or use another bucket (builder.bucket(...)).");
      }
      if (!warnedServer && c.getServerInfo() != null) {
        Optional<String> warning =
            BucketRules.serverWarning(
                c.getServerInfo().getVersion(), info.getConfiguration().getReplicas());
        if (warning.isPresent()) {
          warnedServer = true;
          log.atWarn().addKeyValue("bucket", bucketName).log(warning.get());
        }
      }
      long epoch = BucketRules.epoch(info.getCreateTime());
      if (lastEpoch != 0 && epoch != lastEpoch) {
        if (epoch < lastEpoch) {
          throw new LeaseStoreException(
              "NATS bucket "
                  + bucketName
                  + " was recreated with an earlier creation time ("
                  + epoch
                  + " < "
                  + lastEpoch
                  + " microseconds): fencing tokens would go back. Check the NATS server's clock.");
        }
        log.atWarn()
            .addKeyValue("bucket", bucketName)
            .addKeyValue("oldEpoch", lastEpoch)
            .addKeyValue("newEpoch", epoch)
            .log(
                "NATS bucket was recreated: leases of the old one are void; tokens continue above");
        seen.clear();
      }
      lastEpoch = epoch;
      return new Bucket(c, c.keyValue(bucketName, kvo), kvm, epoch);
    } catch (LeaseStoreException e) {
      throw e;
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      throw new LeaseStoreException(
          "cannot open NATS bucket " + bucketName + ": " + redactor.redact(e.getMessage()),
          redactor.sanitize(e));
    }
  }

  private KeyValueStatus statusOrNull(KeyValueManagement kvm)
      throws IOException, JetStreamApiException {
    try {
      return kvm.getStatus(bucketName);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  /** Guarded by lock. Creates the missing bucket, unless that would be a silent recreation. */
  private KeyValueStatus createMissing(Connection c, KeyValueManagement kvm)
      throws IOException, JetStreamApiException {
    if (lastEpoch != 0) {
      throw new LeaseStoreException(
          "NATS bucket "
              + bucketName
              + " is gone: it was deleted while this store used it. It is not created again"
              + " under running members, whose leases were in it; create it (history 1, file"
              + " storage, no max age) or restart a member, and running members continue on it.");
    }
    if (!createBucket) {
      throw new LeaseStoreException(
          "NATS bucket "
              + bucketName
              + " does not exist and createBucket is off: create it with history 1, file"
              + " storage and no max age.");
    }
    StreamConfiguration kv =
        KeyValueConfiguration.builder()
            .name(bucketName)
            .maxHistoryPerKey(1)
            .storageType(StorageType.File)
            .replicas(replicas)
            .build()
            .getBackingConfig();
    // jnats turns direct gets on for every bucket; on several replicas they may read stale values.
    StreamConfiguration sc = StreamConfiguration.builder(kv).allowDirect(replicas == 1).build();
    try {
      c.jetStreamManagement(JetStreamOptions.builder().requestTimeout(requestTimeout).build())
          .addStream(sc);
      log.atWarn()
          .addKeyValue("bucket", bucketName)
          .addKeyValue("replicas", replicas)
          .log("created the NATS lease bucket");
    } catch (JetStreamApiException e) {
      // Another member created it first; it is checked like any existing bucket.
      log.atDebug().addKeyValue("bucket", bucketName).log("bucket created concurrently");
    }
    return kvm.getStatus(bucketName);
  }

  /** The bucket's epoch now, or 0 if it is gone. */
  private long epochNow(Bucket b) throws IOException, JetStreamApiException {
    KeyValueStatus s = statusOrNull(b.kvm());
    return s == null ? 0 : BucketRules.epoch(s.getBackingStreamInfo().getCreateTime());
  }

  /**
   * Whether {@code b} is still the bucket on the server: not deleted, not deleted and created
   * again. A write in a recreated bucket has a revision of another revision space, and a write
   * whose revision matched there overwrote whatever lease that bucket held.
   */
  private boolean stillThere(Bucket b) throws IOException, JetStreamApiException {
    if (epochNow(b) == b.epoch()) {
      return true;
    }
    markRecheck(b);
    return false;
  }

  private void markRecheck(Bucket b) {
    synchronized (lock) {
      if (bucket == b) {
        recheck = true;
      }
    }
  }

  /**
   * Whether a failed operation failed because the bucket is gone: publishing to a subject no stream
   * listens on gets "503 no responders", reading from a deleted stream "stream not found". Only
   * those are checked, so that a timeout during an outage does not cost a second one.
   */
  private boolean bucketGone(Bucket b, Exception e) {
    boolean hint =
        (e instanceof JetStreamApiException j && j.getApiErrorCode() == STREAM_NOT_FOUND)
            || String.valueOf(e.getMessage()).contains("503");
    if (!hint) {
      return false;
    }
    try {
      return !stillThere(b);
    } catch (IOException | JetStreamApiException | RuntimeException again) {
      return false;
    }
  }

  // ---- leases ------------------------------------------------------------------------------

  private void sawRevision(long epoch, String key, long revision) {
    highest.merge(
        key,
        new Highest(epoch, revision),
        (old, now) ->
            old.epoch > now.epoch || (old.epoch == now.epoch && old.revision >= now.revision)
                ? old
                : now);
  }

  private long highestSeen(long epoch, String key) {
    Highest h = highest.get(key);
    return h == null || h.epoch != epoch ? 0 : h.revision;
  }

  /**
   * Lifts a lease just written at {@code rev} above {@code floor}, the highest revision of the key
   * this store had seen before the write (taken before it, as the watch soon reports the write
   * itself). A revision at or below it means the stream lost writes it had acknowledged and hands
   * their revisions out again (nats-server 2.9 after its stream leader was killed): a lease won
   * there would carry a fencing token no higher than one already used downstream, and the register
   * would refuse every write of the new holder. Each rewrite is a compare-and-set at the lease's
   * own revision, so a foreign write in between loses the attempt.
   */
  private long aboveRevisionsSeen(
      Bucket b, GroupId group, String key, byte[] value, long rev, long floor)
      throws IOException, JetStreamApiException {
    if (rev > floor) {
      return rev;
    }
    long first = rev;
    int rewrites = 0;
    while (rev <= floor) {
      if (++rewrites > MAX_REWRITES) {
        throw new LeaseStoreException(
            "NATS bucket "
                + bucketName
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

  /**
   * Whether a write of {@code key} after revision {@code won} was seen (by the read-back after the
   * win, or by a watch): the lease is no longer the winner's. On a correct server nobody can write
   * right behind a fresh acquire; nats-server before 2.9.21 checks the expected revision outside
   * Raft (nats-server#4320), so two compare-and-set writes of one expected revision both commit,
   * back to back, and each writer sees a win. The read-back, one round trip, shows the later one in
   * practice: both writes are in the Raft log before the first is acknowledged.
   */
  private boolean supersededAfterWin(Bucket b, String key, long won) {
    return highestSeen(b.epoch(), key) > won;
  }

  /** Records when this store first saw {@code revision} of {@code key}; returns that moment. */
  private long firstSeen(long epoch, String key, long revision) {
    sawRevision(epoch, key, revision);
    return seen.compute(
            key,
            (k, s) ->
                s != null && s.epoch == epoch && s.revision == revision
                    ? s
                    : new Seen(epoch, revision, ticker.nanos()))
        .sinceNanos;
  }

  private static boolean casLost(JetStreamApiException e) {
    return e.getApiErrorCode() == WRONG_LAST_SEQUENCE;
  }

  private LeaseStoreException failure(String op, GroupId group, Bucket b, Exception e) {
    markRecheck(b);
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new LeaseStoreException(
        op
            + " of "
            + group
            + " in NATS bucket "
            + bucketName
            + " failed: "
            + redactor.redact(String.valueOf(e.getMessage())),
        redactor.sanitize(e));
  }

  private static byte[] valueOf(KeyValueEntry e) {
    byte[] v = e.getValue();
    return v == null ? new byte[0] : v;
  }

  private Optional<Lease> current(Bucket b, GroupId group)
      throws IOException, JetStreamApiException {
    String key = LeaseCodec.key(group);
    KeyValueEntry e = b.kv().get(key);
    if (e == null || e.getOperation() != KeyValueOperation.PUT) {
      if (e != null) {
        sawRevision(b.epoch(), key, e.getRevision());
      }
      seen.remove(key);
      return Optional.empty();
    }
    firstSeen(b.epoch(), key, e.getRevision());
    return Optional.of(LeaseCodec.decode(group, valueOf(e), b.epoch(), e.getRevision()));
  }

  @Override
  public Acquisition acquire(GroupId group, LeaseHolder holder, Duration ttl) {
    Bucket b = bucket();
    String key = LeaseCodec.key(group);
    Instant now = clock.instant();
    byte[] value = LeaseCodec.encode(holder, 0, now, now, ttl);
    try {
      Optional<Lease> cur = current(b, group);
      long floor = highestSeen(b.epoch(), key);
      long rev;
      if (cur.isEmpty()) {
        rev = b.kv().create(key, value);
      } else {
        Lease l = cur.get();
        if (!l.heldBy(holder)) {
          Duration effective = l.ttl().compareTo(ttl) > 0 ? l.ttl() : ttl;
          long visibleFor = ticker.nanos() - firstSeen(b.epoch(), key, l.revision());
          if (visibleFor < effective.toNanos()) {
            return Acquisition.notWon(cur);
          }
          if (!stillThere(b)) {
            // The revision timed may belong to a bucket that was replaced meanwhile.
            throw new LeaseStoreException(
                "NATS bucket " + bucketName + " was deleted or recreated; trying again");
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
      if (!stillThere(b)) {
        // The token is computed from the epoch: only a write in the bucket of that epoch counts.
        throw new LeaseStoreException(
            "NATS bucket " + bucketName + " was deleted or recreated during acquire; trying again");
      }
      rev = aboveRevisionsSeen(b, group, key, value, rev, floor);
      firstSeen(b.epoch(), key, rev);
      afterWinForTesting.run();
      Optional<Lease> latest = current(b, group);
      if (supersededAfterWin(b, key, rev)) {
        log.atWarn()
            .addKeyValue("group", group)
            .addKeyValue("won", rev)
            .addKeyValue("highestSeen", highestSeen(b.epoch(), key))
            .log(
                "NATS accepted this acquire, but a later write of the lease was already there;"
                    + " not a win (two compare-and-set writes won: nats-server#4320, fixed in"
                    + " 2.9.21)");
        return Acquisition.notWon(latest);
      }
      return Acquisition.won(
          new Lease(
              group, holder, b.epoch(), LeaseCodec.token(b.epoch(), rev), rev, now, now, ttl));
    } catch (LeaseStoreException e) {
      throw e;
    } catch (JetStreamApiException e) {
      if (casLost(e)) {
        // Someone else wrote first. Whatever the re-read shows, even a lease of this very
        // holder (an older write, or a stale read), this attempt did not win.
        try {
          return Acquisition.notWon(current(b, group));
        } catch (IOException | JetStreamApiException | RuntimeException e2) {
          throw failure("acquire", group, b, e2);
        }
      }
      throw failure("acquire", group, b, e);
    } catch (IOException | RuntimeException e) {
      throw failure("acquire", group, b, e);
    }
  }

  @Override
  public Optional<Lease> renew(Lease lease) {
    Bucket b = bucket();
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
      if (!stillThere(b)) {
        // The revision matched in a recreated bucket: undo the overwrite of its lease.
        deleteQuietly(b, key, rev);
        return Optional.empty();
      }
      firstSeen(b.epoch(), key, rev);
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
    } catch (JetStreamApiException e) {
      if (casLost(e) || bucketGone(b, e)) {
        return Optional.empty();
      }
      throw failure("renew", lease.group(), b, e);
    } catch (IOException | RuntimeException e) {
      if (bucketGone(b, e)) {
        return Optional.empty();
      }
      throw failure("renew", lease.group(), b, e);
    }
  }

  private void deleteQuietly(Bucket b, String key, long revision) {
    try {
      b.kv().delete(key, revision);
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      log.atDebug().addKeyValue("bucket", bucketName).log("could not undo a stray write");
    }
  }

  @Override
  public boolean release(Lease lease) {
    Bucket b = bucket();
    if (lease.epoch() != b.epoch()) {
      return false;
    }
    try {
      if (!stillThere(b)) {
        return false;
      }
      b.kv().delete(LeaseCodec.key(lease.group()), lease.revision());
      return true;
    } catch (JetStreamApiException e) {
      if (casLost(e) || bucketGone(b, e)) {
        return false;
      }
      throw failure("release", lease.group(), b, e);
    } catch (IOException | RuntimeException e) {
      if (bucketGone(b, e)) {
        return false;
      }
      throw failure("release", lease.group(), b, e);
    }
  }

  @Override
  public Optional<Lease> read(GroupId group) {
    Bucket b = bucket();
    try {
      return current(b, group);
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      throw failure("read", group, b, e);
    }
  }

  /**
   * Watches the group's key. The watch survives connection and bucket replacements: it is set up
   * again on each newly opened bucket. If the store cannot reach NATS now, it is set up by the
   * first operation that can.
   */
  @Override
  public AutoCloseable watch(GroupId group, Consumer<LeaseEvent> listener) {
    Watch w = new Watch(group, listener);
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

  /** One registered watch and its subscription on the current bucket. Thread-safe. */
  private final class Watch {
    private final GroupId group;
    private final String key;
    private final Consumer<LeaseEvent> listener;

    // Guarded by this.
    private Bucket on;
    private AutoCloseable subscription;
    private boolean stopped;

    Watch(GroupId group, Consumer<LeaseEvent> listener) {
      this.group = group;
      this.key = LeaseCodec.key(group);
      this.listener = listener;
    }

    synchronized void ensureOn(Bucket b) {
      if (stopped || on == b) {
        return;
      }
      unsubscribe();
      try {
        var sub = b.kv().watch(key, watcher(b.epoch()), KeyValueWatchOption.UPDATES_ONLY);
        subscription = sub::unsubscribe;
        on = b;
      } catch (IOException | JetStreamApiException | RuntimeException e) {
        log.atDebug()
            .addKeyValue("group", group)
            .addKeyValue("error", redactor.redact(e.getMessage()))
            .log("watch not set up yet; the next operation tries again");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private KeyValueWatcher watcher(long epoch) {
      return new KeyValueWatcher() {
        @Override
        public void watch(KeyValueEntry e) {
          long rev = e.getRevision();
          if (e.getOperation() == KeyValueOperation.PUT) {
            Lease l = LeaseCodec.decode(group, valueOf(e), epoch, rev);
            firstSeen(epoch, key, rev);
            listener.accept(LeaseEvent.written(l));
          } else {
            sawRevision(epoch, key, rev);
            seen.remove(key);
            listener.accept(LeaseEvent.deleted(group, epoch, rev));
          }
        }

        @Override
        public void endOfData() {}
      };
    }

    synchronized void stop() {
      stopped = true;
      unsubscribe();
    }

    private void unsubscribe() {
      if (subscription != null) {
        try {
          subscription.close();
        } catch (Exception alreadyClosed) {
          // The connection went first; the subscription went with it.
        }
        subscription = null;
        on = null;
      }
    }
  }

  /** Closes the NATS connection (leases are left as they are). */
  @Override
  public void close() {
    Connection c;
    synchronized (lock) {
      closed = true;
      c = connection;
      connection = null;
      bucket = null;
    }
    for (Watch w : watches) {
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

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private final Options base;
    private final List<String> urls;
    private String bucket = "lifeline_leases";
    private Duration requestTimeout = Duration.ofMillis(500);
    private Duration reconnectWait = Duration.ofMillis(250);
    private Duration pingInterval = Duration.ofMillis(500);
    private String user;
    private char[] password;
    private char[] token;
    private Path credentialsFile;
    private SSLContext sslContext;
    private int replicas = 1;
    private boolean createBucket = true;
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();

    private Builder(String... servers) {
      Objects.requireNonNull(servers, "servers");
      if (servers.length == 0) {
        throw new IllegalArgumentException("servers: [] (expected: >= 1 nats:// or tls:// URL)");
      }
      List<String> checked = new ArrayList<>();
      for (String s : servers) {
        checked.add(checkServer(s));
      }
      this.base = null;
      this.urls = List.copyOf(checked);
    }

    private Builder(Options base) {
      this.base = base;
      this.urls = List.of();
    }

    private static String checkServer(String url) {
      Objects.requireNonNull(url, "server");
      String scheme = null;
      String host = null;
      try {
        URI u = new URI(url);
        scheme = u.getScheme();
        host = u.getHost();
      } catch (URISyntaxException e) {
        // Reported below, like any other bad URL.
      }
      if (host == null || !("nats".equals(scheme) || "tls".equals(scheme))) {
        String shown = Redactor.of(List.of()).redact(url);
        throw new IllegalArgumentException(
            "server: '" + shown + "' (expected: nats://host:port or tls://host:port)");
      }
      return url;
    }

    private void urlsOnly(String setting) {
      if (base != null) {
        throw new IllegalStateException(
            setting + ": set it on the jnats Options passed to NatsLeaseStore.builder(Options)");
      }
    }

    /**
     * The KV bucket (default {@code lifeline_leases}).
     *
     * @throws IllegalArgumentException if not 1-64 of [A-Za-z0-9_-]
     */
    public Builder bucket(String bucket) {
      Objects.requireNonNull(bucket, "bucket");
      if (!bucket.matches("[A-Za-z0-9_-]{1,64}")) {
        throw new IllegalArgumentException(
            "bucket: '" + bucket + "' (expected: 1-64 of [A-Za-z0-9_-])");
      }
      this.bucket = bucket;
      return this;
    }

    /**
     * Bound of each store request (default 500 ms), and of connecting when built from URLs; keep it
     * well below the lease TTL.
     *
     * @throws IllegalArgumentException if not in 10 ms .. 30 s
     */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout =
          check("requestTimeout", d, Duration.ofMillis(10), Duration.ofSeconds(30));
      return this;
    }

    /**
     * Wait between reconnect attempts (default 250 ms). URL form only.
     *
     * @throws IllegalArgumentException if not in 10 ms .. 1 min
     * @throws IllegalStateException on a builder made from {@link Options}
     */
    public Builder reconnectWait(Duration d) {
      urlsOnly("reconnectWait");
      this.reconnectWait = check("reconnectWait", d, Duration.ofMillis(10), Duration.ofMinutes(1));
      return this;
    }

    /**
     * How often the client pings the server (default 500 ms). A link that answers no ping for three
     * intervals is taken for dead and reconnected, so keep three intervals near the lease TTL. With
     * {@link Options}, their ping interval is kept if it is shorter.
     *
     * @throws IllegalArgumentException if not in 50 ms .. 1 min
     */
    public Builder pingInterval(Duration d) {
      this.pingInterval = check("pingInterval", d, Duration.ofMillis(50), Duration.ofMinutes(1));
      return this;
    }

    /**
     * User and password (default none). The password array is copied; clear yours afterwards. URL
     * form only; at most one of userInfo, token and credentialsFile.
     *
     * @throws IllegalArgumentException if the user is empty
     * @throws IllegalStateException on a builder made from {@link Options}
     */
    public Builder userInfo(String user, char[] password) {
      urlsOnly("userInfo");
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
      if (user.isEmpty()) {
        throw new IllegalArgumentException("user: '' (expected: a non-empty user name)");
      }
      this.user = user;
      this.password = password.clone();
      return this;
    }

    /**
     * Authentication token (default none). The array is copied. URL form only.
     *
     * @throws IllegalArgumentException if empty
     * @throws IllegalStateException on a builder made from {@link Options}
     */
    public Builder token(char[] token) {
      urlsOnly("token");
      Objects.requireNonNull(token, "token");
      if (token.length == 0) {
        throw new IllegalArgumentException("token: empty (expected: a non-empty token)");
      }
      this.token = token.clone();
      return this;
    }

    /**
     * A NATS credentials file (JWT and NKey seed, {@code .creds}; default none), read at each
     * connect. URL form only.
     *
     * @throws IllegalArgumentException if it is not a readable regular file
     * @throws IllegalStateException on a builder made from {@link Options}
     */
    public Builder credentialsFile(Path file) {
      urlsOnly("credentialsFile");
      Objects.requireNonNull(file, "credentialsFile");
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new IllegalArgumentException(
            "credentialsFile: '" + file + "' (expected: a readable .creds file)");
      }
      this.credentialsFile = file;
      return this;
    }

    /**
     * The TLS context for {@code tls://} servers (default: the JVM's default context, which
     * verifies the server against the default trust store). URL form only.
     *
     * @throws IllegalStateException on a builder made from {@link Options}
     */
    public Builder sslContext(SSLContext context) {
      urlsOnly("sslContext");
      this.sslContext = Objects.requireNonNull(context, "sslContext");
      return this;
    }

    /**
     * Replicas of the bucket when this store creates it (default 1; use 3 on a 3-node cluster).
     * Direct gets are turned off when above 1. An existing bucket is used with its own replicas.
     *
     * @throws IllegalArgumentException if not in 1 .. 5
     */
    public Builder replicas(int replicas) {
      if (replicas < 1 || replicas > 5) {
        throw new IllegalArgumentException("replicas: " + replicas + " (expected: 1 .. 5)");
      }
      this.replicas = replicas;
      return this;
    }

    /**
     * Whether the store creates the bucket when it finds none at its first use (default true). Turn
     * it off when operators provision buckets. Either way a store never creates again a bucket that
     * disappeared while it used it.
     */
    public Builder createBucket(boolean create) {
      this.createBucket = create;
      return this;
    }

    /** Monotonic time for expiry. */
    public Builder ticker(Ticker t) {
      this.ticker = Objects.requireNonNull(t, "ticker");
      return this;
    }

    /** Wall time written into leases for diagnostics. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    private static Duration check(String field, Duration d, Duration min, Duration max) {
      Objects.requireNonNull(d, field);
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw new IllegalArgumentException(
            field + ": " + d + " (expected: >= " + min + " and <= " + max + ")");
      }
      return d;
    }

    /**
     * Builds the store; it connects on first use.
     *
     * @throws IllegalStateException if more than one of userInfo, token and credentialsFile is set
     */
    public NatsLeaseStore build() {
      int credentials =
          (user != null ? 1 : 0) + (token != null ? 1 : 0) + (credentialsFile != null ? 1 : 0);
      if (credentials > 1) {
        throw new IllegalStateException(
            "credentials: "
                + credentials
                + " kinds set (expected: at most one of userInfo, token, credentialsFile)");
      }
      Options.Builder ob;
      if (base != null) {
        ob = new Options.Builder(base);
        ob.pingInterval(min(base.getPingInterval(), pingInterval));
        ob.maxPingsOut(Math.min(base.getMaxPingsOut(), 2));
      } else {
        ob =
            new Options.Builder()
                .servers(urls.toArray(new String[0]))
                .connectionTimeout(requestTimeout)
                .reconnectWait(reconnectWait)
                .pingInterval(pingInterval)
                .maxPingsOut(2)
                .connectionName("lifeline-lease-store");
        if (user != null) {
          ob.userInfo(user.toCharArray(), password);
        }
        if (token != null) {
          ob.token(token);
        }
        if (credentialsFile != null) {
          ob.credentialPath(credentialsFile.toString());
        }
        if (sslContext != null) {
          ob.sslContext(sslContext);
        }
      }
      ob.maxReconnects(-1);
      Options draft = ob.build();
      Redactor redactor = Redactor.of(secretsOf(draft));
      NatsListeners listeners =
          new NatsListeners(
              redactor,
              base == null ? null : base.getErrorListener(),
              base == null ? null : base.getConnectionListener());
      Options options = ob.errorListener(listeners).connectionListener(listeners).build();
      return new NatsLeaseStore(this, options, redactor);
    }

    private static Duration min(Duration a, Duration b) {
      return a.compareTo(b) <= 0 ? a : b;
    }

    /** Passwords and tokens, given directly or inside server URLs. */
    private static List<String> secretsOf(Options o) {
      List<String> s = new ArrayList<>();
      if (o.getPasswordChars() != null) {
        s.add(new String(o.getPasswordChars()));
      }
      if (o.getTokenChars() != null) {
        s.add(new String(o.getTokenChars()));
      }
      for (URI u : o.getServers()) {
        String info = u.getUserInfo();
        if (info != null) {
          int colon = info.indexOf(':');
          s.add(colon < 0 ? info : info.substring(colon + 1));
        }
      }
      return s;
    }
  }
}
