package dev.lifeline.active.nats;

import dev.lifeline.active.Acquisition;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.Lease;
import dev.lifeline.active.LeaseEvent;
import dev.lifeline.active.LeaseHolder;
import dev.lifeline.active.LeaseStore;
import dev.lifeline.active.LeaseStoreException;
import dev.lifeline.active.nats.internal.ConnectionSettings;
import dev.lifeline.active.nats.internal.NatsBucket;
import dev.lifeline.active.nats.internal.NatsLeases;
import dev.lifeline.active.nats.internal.RevisionLog;
import dev.lifeline.core.Ticker;
import dev.lifeline.core.internal.Check;
import io.nats.client.Options;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

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

  private final NatsLeases leases;

  /**
   * Runs right after a compare-and-set won, before the store checks it still holds: lets a test
   * land a second write there, as nats-server#4320 does.
   */
  volatile Runnable afterWinForTesting = () -> {};

  private NatsLeaseStore(Builder b, ConnectionSettings.Prepared prepared) {
    RevisionLog revisions = new RevisionLog(b.ticker);
    NatsBucket bucket =
        new NatsBucket(
            prepared.options(),
            prepared.redactor(),
            b.bucket,
            b.requestTimeout,
            b.replicas,
            b.createBucket,
            revisions::forgetAllSeen);
    this.leases =
        new NatsLeases(
            bucket, revisions, b.clock, prepared.redactor(), () -> afterWinForTesting.run());
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

  @Override
  public Acquisition acquire(GroupId group, LeaseHolder holder, Duration ttl) {
    return leases.acquire(group, holder, ttl);
  }

  @Override
  public Optional<Lease> renew(Lease lease) {
    return leases.renew(lease);
  }

  /**
   * Records the downstream token as a revision this store has seen, so the next lease it wins is
   * rewritten above it. A token of another bucket generation, or before the store opened its
   * bucket, is ignored.
   */
  @Override
  public void tokenSeenDownstream(GroupId group, long token) {
    leases.tokenSeenDownstream(group, token);
  }

  @Override
  public boolean release(Lease lease) {
    return leases.release(lease);
  }

  @Override
  public Optional<Lease> read(GroupId group) {
    return leases.read(group);
  }

  /**
   * Watches the group's key. The watch survives connection and bucket replacements: it is set up
   * again on each newly opened bucket. If the store cannot reach NATS now, it is set up by the
   * first operation that can.
   */
  @Override
  public AutoCloseable watch(GroupId group, Consumer<LeaseEvent> listener) {
    return leases.watch(group, listener);
  }

  /** Closes the NATS connection (leases are left as they are). */
  @Override
  public void close() {
    leases.close();
  }

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private final @Nullable Options base;
    private final List<String> urls;
    private String bucket = "lifeline_leases";
    private Duration requestTimeout = Duration.ofMillis(500);
    private Duration reconnectWait = Duration.ofMillis(250);
    private Duration pingInterval = Duration.ofMillis(500);
    private @Nullable String user;
    private char @Nullable [] password;
    private char @Nullable [] token;
    private @Nullable Path credentialsFile;
    private @Nullable SSLContext sslContext;
    private int replicas = 1;
    private boolean createBucket = true;
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();

    private Builder(String... servers) {
      this.base = null;
      this.urls = ConnectionSettings.servers(servers);
    }

    private Builder(Options base) {
      this.base = base;
      this.urls = List.of();
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
      this.bucket = ConnectionSettings.bucket(bucket);
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
          Check.inRange("requestTimeout", d, Duration.ofMillis(10), Duration.ofSeconds(30));
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
      this.reconnectWait =
          Check.inRange("reconnectWait", d, Duration.ofMillis(10), Duration.ofMinutes(1));
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
      this.pingInterval =
          Check.inRange("pingInterval", d, Duration.ofMillis(50), Duration.ofMinutes(1));
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
      this.user = ConnectionSettings.user(user);
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
      this.token = ConnectionSettings.token(token);
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
      this.credentialsFile = ConnectionSettings.credentialsFile(file);
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
      this.replicas = Check.inRange("replicas", replicas, 1, 5);
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

    /**
     * Builds the store; it connects on first use.
     *
     * @throws IllegalStateException if more than one of userInfo, token and credentialsFile is set
     */
    public NatsLeaseStore build() {
      ConnectionSettings.atMostOneCredentialKind(
          user != null, token != null, credentialsFile != null);
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
        String u = user;
        char[] p = password;
        if (u != null && p != null) {
          ob.userInfo(u.toCharArray(), p);
        }
        char[] t = token;
        if (t != null) {
          ob.token(t);
        }
        Path creds = credentialsFile;
        if (creds != null) {
          ob.credentialPath(creds.toString());
        }
        SSLContext ssl = sslContext;
        if (ssl != null) {
          ob.sslContext(ssl);
        }
      }
      return new NatsLeaseStore(this, ConnectionSettings.prepare(ob, base));
    }

    private static Duration min(Duration a, Duration b) {
      return a.compareTo(b) <= 0 ? a : b;
    }
  }
}
