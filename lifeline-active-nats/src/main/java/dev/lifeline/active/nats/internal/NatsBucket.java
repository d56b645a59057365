package dev.lifeline.active.nats.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.active.LeaseStoreException;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValueManagement;
import io.nats.client.KeyValueOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.ServerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease store's connection and bucket: connects lazily (one bounded attempt per call), replaces
 * a connection jnats closed for good, creates the bucket on first use if allowed, refuses a bucket
 * whose settings break the guarantees, and never creates again a bucket that disappeared while it
 * was used. What to do with a missing or recreated bucket is decided by {@link #onMissing} and
 * {@link #epochChange}.
 *
 * <p>Thread-safe: the connection and the open bucket change only under one lock; network calls on
 * an already open bucket run outside it.
 */
public final class NatsBucket {

  private static final Logger log =
      LoggerFactory.getLogger("dev.lifeline.active.nats.NatsLeaseStore");

  /** What to do when the bucket is not on the server. */
  public enum Missing {
    /** Create it: this is the store's first use of it, and creating is allowed. */
    CREATE,
    /** Refuse: creating is off, so operators provision the bucket. */
    NOT_ALLOWED,
    /** Refuse: it was deleted under this store, and running members' leases were in it. */
    GONE_WHILE_USED
  }

  /** How the epoch of a freshly opened bucket relates to the one opened before. */
  public enum EpochChange {
    /** The first bucket this store opens. */
    FIRST,
    /** The same bucket as before. */
    SAME,
    /** A bucket created again later: the old leases are void, tokens continue above. */
    RECREATED,
    /** A bucket created again with an earlier creation time: tokens would go back. */
    WENT_BACK
  }

  private final Options options;
  private final Redactor redactor;
  private final String servers;
  private final String name;
  private final Duration requestTimeout;
  private final int replicas;
  private final boolean createBucket;
  private final Runnable onRecreated;
  private final Object lock = new Object();

  @GuardedBy("lock")
  private @Nullable Connection connection;

  @GuardedBy("lock")
  private @Nullable OpenBucket bucket;

  /** An operation failed, so check the bucket again before the next one. */
  @GuardedBy("lock")
  private boolean recheck;

  /** The epoch of the bucket last opened, 0 before the first. */
  @GuardedBy("lock")
  private long lastEpoch;

  @GuardedBy("lock")
  private boolean closed;

  /** The server-version warning was logged (once per store). */
  @GuardedBy("lock")
  private boolean warnedServer;

  /**
   * @param onRecreated runs, under this object's lock, when a bucket of a later epoch replaces the
   *     one used before: whatever was remembered about the old bucket's revisions is void
   */
  public NatsBucket(
      Options options,
      Redactor redactor,
      String name,
      Duration requestTimeout,
      int replicas,
      boolean createBucket,
      Runnable onRecreated) {
    this.options = options;
    this.redactor = redactor;
    this.servers = redactor.redact(String.valueOf(options.getServers()));
    this.name = name;
    this.requestTimeout = requestTimeout;
    this.replicas = replicas;
    this.createBucket = createBucket;
    this.onRecreated = onRecreated;
  }

  /** The bucket's name. */
  public String name() {
    return name;
  }

  /**
   * What to do about a bucket that is not on the server, given the epoch of the bucket last opened
   * (0 before the first) and whether the store may create buckets.
   */
  public static Missing onMissing(long lastEpoch, boolean createBucket) {
    if (lastEpoch != 0) {
      return Missing.GONE_WHILE_USED;
    }
    return createBucket ? Missing.CREATE : Missing.NOT_ALLOWED;
  }

  /** How {@code epoch}, just opened, relates to {@code lastEpoch} (0 before the first). */
  public static EpochChange epochChange(long lastEpoch, long epoch) {
    if (lastEpoch == 0) {
      return EpochChange.FIRST;
    }
    if (epoch == lastEpoch) {
      return EpochChange.SAME;
    }
    return epoch < lastEpoch ? EpochChange.WENT_BACK : EpochChange.RECREATED;
  }

  /**
   * The open bucket, connecting, opening or checking it again first if needed.
   *
   * @throws LeaseStoreException if closed, not connected, or the bucket cannot be used
   */
  public OpenBucket open() {
    synchronized (lock) {
      if (closed) {
        throw new LeaseStoreException("NATS lease store closed (bucket " + name + ")");
      }
      Connection c = liveConnection();
      OpenBucket b = bucket;
      if (b == null || b.connection() != c || recheck) {
        b = open(c);
        bucket = b;
        recheck = false;
      }
      return b;
    }
  }

  /** The bucket opened last, without connecting; null before the first or after closing. */
  public @Nullable OpenBucket current() {
    synchronized (lock) {
      return bucket;
    }
  }

  /** The connection, made or replaced if needed; throws unless connected. */
  @GuardedBy("lock")
  private Connection liveConnection() {
    Connection c = connection;
    if (c != null && c.getStatus() == Connection.Status.CLOSED) {
      // jnats closes a connection for good after the same authentication error twice while
      // reconnecting; every operation would fail until a restart without this.
      log.atWarn()
          .addKeyValue("servers", servers)
          .addKeyValue("bucket", name)
          .log("NATS connection was closed by the client library; opening a new one");
      c = null;
      connection = null;
      bucket = null;
    }
    if (c == null) {
      // Connect lazily, one bounded attempt per call: a member that starts while NATS is down
      // keeps retrying from its own loop and stays STANDBY. Once connected, jnats reconnects.
      try {
        c = Nats.connect(options);
      } catch (IOException | RuntimeException e) {
        throw new LeaseStoreException(
            "NATS not connected: cannot reach "
                + servers
                + " ("
                + redactor.redact(String.valueOf(e.getMessage()))
                + ")",
            redactor.sanitize(e));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LeaseStoreException("interrupted while connecting to " + servers);
      }
      connection = c;
    }
    Connection.Status status = c.getStatus();
    if (status != Connection.Status.CONNECTED) {
      throw new LeaseStoreException(
          "NATS not connected (status " + status + ", bucket " + name + ")");
    }
    return c;
  }

  /** Opens the bucket on {@code c}: created if allowed, checked, its epoch read. */
  @GuardedBy("lock")
  private OpenBucket open(Connection c) {
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
                + name
                + " refused: "
                + String.join("; ", problems)
                + ". Fix those settings or use another bucket (builder.bucket(...)).");
      }
      @Nullable ServerInfo server = c.getServerInfo();
      if (!warnedServer && server != null) {
        Optional<String> warning =
            BucketRules.serverWarning(server.getVersion(), info.getConfiguration().getReplicas());
        if (warning.isPresent()) {
          warnedServer = true;
          log.atWarn().addKeyValue("bucket", name).log(warning.get());
        }
      }
      long epoch = BucketRules.epoch(info.getCreateTime());
      switch (epochChange(lastEpoch, epoch)) {
        case WENT_BACK ->
            throw new LeaseStoreException(
                "NATS bucket "
                    + name
                    + " was recreated with an earlier creation time ("
                    + epoch
                    + " < "
                    + lastEpoch
                    + " microseconds): fencing tokens would go back. Check the NATS server's"
                    + " clock.");
        case RECREATED -> {
          log.atWarn()
              .addKeyValue("bucket", name)
              .addKeyValue("oldEpoch", lastEpoch)
              .addKeyValue("newEpoch", epoch)
              .log(
                  "NATS bucket was recreated: leases of the old one are void; tokens continue"
                      + " above");
          onRecreated.run();
        }
        case FIRST, SAME -> {}
      }
      lastEpoch = epoch;
      return new OpenBucket(c, c.keyValue(name, kvo), kvm, epoch);
    } catch (LeaseStoreException e) {
      throw e;
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      throw new LeaseStoreException(
          "cannot open NATS bucket "
              + name
              + ": "
              + redactor.redact(String.valueOf(e.getMessage())),
          redactor.sanitize(e));
    }
  }

  private @Nullable KeyValueStatus statusOrNull(KeyValueManagement kvm)
      throws IOException, JetStreamApiException {
    try {
      return kvm.getStatus(name);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == StoreErrors.STREAM_NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  /** Creates the missing bucket, unless that would be a silent recreation. */
  @GuardedBy("lock")
  private KeyValueStatus createMissing(Connection c, KeyValueManagement kvm)
      throws IOException, JetStreamApiException {
    switch (onMissing(lastEpoch, createBucket)) {
      case GONE_WHILE_USED ->
          throw new LeaseStoreException(
              "NATS bucket "
                  + name
                  + " is gone: it was deleted while this store used it. It is not created again"
                  + " under running members, whose leases were in it; create it (history 1, file"
                  + " storage, no max age) or restart a member, and running members continue on"
                  + " it.");
      case NOT_ALLOWED ->
          throw new LeaseStoreException(
              "NATS bucket "
                  + name
                  + " does not exist and createBucket is off: create it with history 1, file"
                  + " storage and no max age.");
      case CREATE -> {}
    }
    StreamConfiguration kv =
        KeyValueConfiguration.builder()
            .name(name)
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
          .addKeyValue("bucket", name)
          .addKeyValue("replicas", replicas)
          .log("created the NATS lease bucket");
    } catch (JetStreamApiException e) {
      // Another member created it first; it is checked like any existing bucket.
      log.atDebug().addKeyValue("bucket", name).log("bucket created concurrently");
    }
    return kvm.getStatus(name);
  }

  /** The bucket's epoch now, or 0 if it is gone. */
  private long epochNow(OpenBucket b) throws IOException, JetStreamApiException {
    KeyValueStatus s = statusOrNull(b.kvm());
    return s == null ? 0 : BucketRules.epoch(s.getBackingStreamInfo().getCreateTime());
  }

  /**
   * Whether {@code b} is still the bucket on the server: not deleted, not deleted and created
   * again. A write in a recreated bucket has a revision of another revision space, and a write
   * whose revision matched there overwrote whatever lease that bucket held.
   */
  public boolean stillThere(OpenBucket b) throws IOException, JetStreamApiException {
    if (epochNow(b) == b.epoch()) {
      return true;
    }
    markRecheck(b);
    return false;
  }

  /** Makes the next {@link #open()} check the bucket again, unless it was replaced meanwhile. */
  public void markRecheck(OpenBucket b) {
    synchronized (lock) {
      if (bucket == b) {
        recheck = true;
      }
    }
  }

  /**
   * Whether an operation that failed with {@code e} failed because the bucket is gone. Only errors
   * that {@link StoreErrors#classify} names a possibly missing bucket are checked, so that a
   * timeout during an outage does not cost a second one.
   */
  public boolean gone(OpenBucket b, Exception e) {
    if (StoreErrors.classify(e) != StoreErrors.Kind.BUCKET_MAYBE_GONE) {
      return false;
    }
    try {
      return !stillThere(b);
    } catch (IOException | JetStreamApiException | RuntimeException again) {
      return false;
    }
  }

  /**
   * Closes this bucket for good: every later {@link #open()} fails.
   *
   * @return the connection to close, if one was made
   */
  public @Nullable Connection close() {
    synchronized (lock) {
      closed = true;
      Connection c = connection;
      connection = null;
      bucket = null;
      return c;
    }
  }
}
