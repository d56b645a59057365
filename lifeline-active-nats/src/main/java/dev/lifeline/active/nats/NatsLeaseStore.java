package dev.lifeline.active.nats;

import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.active.LeaseStoreException;
import dev.lifeline.active.nats.internal.LeaseCodec;
import dev.lifeline.core.Ticker;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.KeyValueOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatchOption;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link LeaseStore} on a NATS JetStream Key-Value bucket: one key per group ({@code
 * service.group}) holding the holder's id and address, the acquire and renew times and the TTL. The
 * KV revision is the compare-and-set handle; the revision of the acquiring write is the fencing
 * token, and JetStream revisions only grow.
 *
 * <ul>
 *   <li>acquire: {@code create} (create-if-absent), or {@code update} at the observed revision over
 *       an expired lease or the caller's own;
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
 * <p>Connection: made lazily by the first operation, one bounded attempt per call, so the store can
 * be built while NATS is down; operations then fail with {@link LeaseStoreException} until the
 * server is reachable, and members stay STANDBY. Once connected, jnats reconnects by itself. The
 * bucket is created on first use if missing (file storage, history 1).
 *
 * <p>Thread-safe.
 */
public final class NatsLeaseStore implements LeaseStore {

  private static final Logger log = LoggerFactory.getLogger(NatsLeaseStore.class);

  /** JetStream's "wrong last sequence" API error code: the compare-and-set lost. */
  private static final int WRONG_LAST_SEQUENCE = 10071;

  private record Seen(long revision, long sinceNanos) {}

  private final String url;
  private final Options options;
  private final String bucket;
  private final Duration requestTimeout;
  private final Ticker ticker;
  private final Clock clock;
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();
  private final Object kvLock = new Object();

  /** Guarded by kvLock. */
  private KeyValue kv;

  /** Guarded by kvLock. */
  private Connection connection;

  /** Guarded by kvLock. */
  private boolean closed;

  private NatsLeaseStore(Builder b) {
    this.bucket = b.bucket;
    this.requestTimeout = b.requestTimeout;
    this.ticker = b.ticker;
    this.clock = b.clock;
    this.url = b.url;
    this.options =
        new Options.Builder()
            .server(b.url)
            .connectionName("lifeline-lease-store")
            .connectionTimeout(b.requestTimeout)
            .maxReconnects(-1)
            .reconnectWait(b.reconnectWait)
            .errorListener(
                new ErrorListener() {
                  // Reconnect attempts fail many times during an outage; members already log the
                  // outage once per retry with its consequence, so these stay at DEBUG.
                  @Override
                  public void errorOccurred(Connection conn, String error) {
                    log.atDebug().addKeyValue("url", b.url).log("NATS error: " + error);
                  }

                  @Override
                  public void exceptionOccurred(Connection conn, Exception exp) {
                    log.atDebug()
                        .addKeyValue("url", b.url)
                        .log("NATS connection exception: " + exp);
                  }
                })
            .connectionListener(
                (ConnectionListener)
                    (conn, event) ->
                        log.atInfo()
                            .addKeyValue("url", b.url)
                            .addKeyValue("event", event)
                            .log("NATS lease store connection event"))
            .build();
  }

  /**
   * Starts a builder for the server at {@code url}, e.g. {@code nats://127.0.0.1:4222}.
   *
   * @throws IllegalArgumentException if the url does not start with {@code nats://}
   */
  public static Builder builder(String url) {
    return new Builder(url);
  }

  private KeyValue kv() {
    synchronized (kvLock) {
      if (closed) {
        throw new LeaseStoreException("NATS lease store closed (bucket " + bucket + ")");
      }
      if (kv != null) {
        return kv;
      }
      if (connection == null) {
        // Connect lazily, one bounded attempt per call: a member that starts while NATS is down
        // keeps retrying from its own loop and stays STANDBY. Once connected, jnats reconnects.
        try {
          connection = Nats.connect(options);
        } catch (IOException e) {
          throw new LeaseStoreException(
              "NATS not connected: cannot reach " + url + " (" + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new LeaseStoreException("interrupted while connecting to " + url, e);
        }
      }
      if (connection.getStatus() != Connection.Status.CONNECTED) {
        throw new LeaseStoreException(
            "NATS not connected (status " + connection.getStatus() + ", bucket " + bucket + ")");
      }
      KeyValueOptions kvo = KeyValueOptions.builder().jsRequestTimeout(requestTimeout).build();
      try {
        KeyValueManagement kvm = connection.keyValueManagement(kvo);
        if (!kvm.getBucketNames().contains(bucket)) {
          try {
            kvm.create(
                KeyValueConfiguration.builder()
                    .name(bucket)
                    .maxHistoryPerKey(1)
                    .storageType(StorageType.File)
                    .build());
          } catch (JetStreamApiException e) {
            // Another member created it first; using it is fine.
            log.atDebug().addKeyValue("bucket", bucket).log("bucket exists already");
          }
        }
        kv = connection.keyValue(bucket, kvo);
        return kv;
      } catch (IOException | JetStreamApiException e) {
        throw new LeaseStoreException("cannot open KV bucket " + bucket, e);
      }
    }
  }

  /** Records when this store first saw {@code entry}'s revision; returns that moment. */
  private long firstSeen(String key, long revision) {
    return seen.compute(
            key,
            (k, s) -> s != null && s.revision == revision ? s : new Seen(revision, ticker.nanos()))
        .sinceNanos;
  }

  private static boolean casLost(JetStreamApiException e) {
    return e.getApiErrorCode() == WRONG_LAST_SEQUENCE;
  }

  private LeaseStoreException failure(String op, GroupId group, Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new LeaseStoreException(
        op + " of " + group + " in NATS bucket " + bucket + " failed: " + e.getMessage(), e);
  }

  private Optional<Lease> current(KeyValue kv, GroupId group)
      throws IOException, JetStreamApiException {
    String key = LeaseCodec.key(group);
    KeyValueEntry e = kv.get(key);
    if (e == null || e.getOperation() != KeyValueOperation.PUT || e.getValue() == null) {
      seen.remove(key);
      return Optional.empty();
    }
    firstSeen(key, e.getRevision());
    return Optional.of(LeaseCodec.decode(group, e.getValue(), e.getRevision()));
  }

  @Override
  public Optional<Lease> acquire(
      GroupId group, String holderId, String holderAddress, Duration ttl) {
    KeyValue kv = kv();
    String key = LeaseCodec.key(group);
    Instant now = clock.instant();
    byte[] value = LeaseCodec.encode(holderId, holderAddress, 0, now, now, ttl);
    try {
      Optional<Lease> cur = current(kv, group);
      long rev;
      if (cur.isEmpty()) {
        rev = kv.create(key, value);
      } else {
        Lease l = cur.get();
        if (!l.heldBy(holderId)) {
          Duration effective = l.ttl().compareTo(ttl) > 0 ? l.ttl() : ttl;
          long visibleFor = ticker.nanos() - firstSeen(key, l.revision());
          if (visibleFor < effective.toNanos()) {
            return cur;
          }
          log.atInfo()
              .addKeyValue("group", group)
              .addKeyValue("expiredHolder", l.holderId())
              .addKeyValue("revision", l.revision())
              .addKeyValue("unchangedForMs", visibleFor / 1_000_000)
              .log("taking over an expired lease");
        }
        rev = kv.update(key, value, l.revision());
      }
      firstSeen(key, rev);
      return Optional.of(new Lease(group, holderId, holderAddress, rev, rev, now, now, ttl));
    } catch (JetStreamApiException e) {
      if (casLost(e)) {
        try {
          return current(kv, group);
        } catch (IOException | JetStreamApiException e2) {
          throw failure("acquire", group, e2);
        }
      }
      throw failure("acquire", group, e);
    } catch (IOException | RuntimeException e) {
      throw failure("acquire", group, e);
    }
  }

  @Override
  public Optional<Lease> renew(Lease lease) {
    KeyValue kv = kv();
    String key = LeaseCodec.key(lease.group());
    Instant now = clock.instant();
    byte[] value =
        LeaseCodec.encode(
            lease.holderId(),
            lease.holderAddress(),
            lease.token(),
            lease.acquiredAt(),
            now,
            lease.ttl());
    try {
      long rev = kv.update(key, value, lease.revision());
      firstSeen(key, rev);
      return Optional.of(
          new Lease(
              lease.group(),
              lease.holderId(),
              lease.holderAddress(),
              lease.token(),
              rev,
              lease.acquiredAt(),
              now,
              lease.ttl()));
    } catch (JetStreamApiException e) {
      if (casLost(e)) {
        return Optional.empty();
      }
      throw failure("renew", lease.group(), e);
    } catch (IOException | RuntimeException e) {
      throw failure("renew", lease.group(), e);
    }
  }

  @Override
  public boolean release(Lease lease) {
    KeyValue kv = kv();
    try {
      kv.delete(LeaseCodec.key(lease.group()), lease.revision());
      return true;
    } catch (JetStreamApiException e) {
      if (casLost(e)) {
        return false;
      }
      throw failure("release", lease.group(), e);
    } catch (IOException | RuntimeException e) {
      throw failure("release", lease.group(), e);
    }
  }

  @Override
  public Optional<Lease> read(GroupId group) {
    try {
      return current(kv(), group);
    } catch (IOException | JetStreamApiException | RuntimeException e) {
      throw failure("read", group, e);
    }
  }

  @Override
  public AutoCloseable watch(GroupId group, Consumer<Optional<Lease>> listener) {
    String key = LeaseCodec.key(group);
    KeyValueWatcher watcher =
        new KeyValueWatcher() {
          @Override
          public void watch(KeyValueEntry e) {
            if (e.getOperation() == KeyValueOperation.PUT && e.getValue() != null) {
              Lease l;
              try {
                l = LeaseCodec.decode(group, e.getValue(), e.getRevision());
              } catch (IllegalArgumentException bad) {
                log.atWarn().addKeyValue("group", group).setCause(bad).log("ignoring bad entry");
                return;
              }
              firstSeen(key, e.getRevision());
              listener.accept(Optional.of(l));
            } else {
              seen.remove(key);
              listener.accept(Optional.empty());
            }
          }

          @Override
          public void endOfData() {}
        };
    try {
      var sub = kv().watch(key, watcher, KeyValueWatchOption.UPDATES_ONLY);
      return () -> {
        try {
          sub.unsubscribe();
        } catch (IllegalStateException alreadyClosed) {
          // The connection went first; the subscription went with it.
        }
      };
    } catch (IOException | JetStreamApiException | InterruptedException | RuntimeException e) {
      throw failure("watch", group, e);
    }
  }

  /** Closes the NATS connection (leases are left as they are). */
  @Override
  public void close() {
    Connection c;
    synchronized (kvLock) {
      closed = true;
      c = connection;
      connection = null;
      kv = null;
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
    private final String url;
    private String bucket = "lifeline_leases";
    private Duration requestTimeout = Duration.ofMillis(500);
    private Duration reconnectWait = Duration.ofMillis(250);
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();

    private Builder(String url) {
      Objects.requireNonNull(url, "url");
      if (!url.startsWith("nats://")) {
        throw new IllegalArgumentException("url: '" + url + "' (expected: nats://host:port)");
      }
      this.url = url;
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
     * Bound of each store request and of connecting (default 500 ms); keep it well below the lease
     * TTL.
     *
     * @throws IllegalArgumentException if not in 10 ms .. 30 s
     */
    public Builder requestTimeout(Duration d) {
      Objects.requireNonNull(d, "requestTimeout");
      if (d.compareTo(Duration.ofMillis(10)) < 0 || d.compareTo(Duration.ofSeconds(30)) > 0) {
        throw new IllegalArgumentException(
            "requestTimeout: " + d + " (expected: >= PT0.01S and <= PT30S)");
      }
      this.requestTimeout = d;
      return this;
    }

    /**
     * Wait between reconnect attempts (default 250 ms).
     *
     * @throws IllegalArgumentException if not in 10 ms .. 1 min
     */
    public Builder reconnectWait(Duration d) {
      Objects.requireNonNull(d, "reconnectWait");
      if (d.compareTo(Duration.ofMillis(10)) < 0 || d.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "reconnectWait: " + d + " (expected: >= PT0.01S and <= PT1M)");
      }
      this.reconnectWait = d;
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

    /** Builds the store; it connects on first use. */
    public NatsLeaseStore build() {
      return new NatsLeaseStore(this);
    }
  }
}
