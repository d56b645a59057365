package dev.lifeline.grpc.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.Backoff;
import dev.lifeline.core.internal.Check;
import io.grpc.Channel;
import io.grpc.ChannelLogger;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The members of a sticky group channel as a grpc {@link NameResolver} reports them: every resolved
 * {@link InetSocketAddress} is one member keyed {@code host:port} (IPv6 literals as {@code
 * [addr]:port}, the form leader hints carry), reached over a lease from the channel pool. Each
 * resolution result replaces the member list: new addresses get leases, vanished ones are dropped
 * and their leases released (the pool drains the channel, so a call in flight there finishes).
 *
 * <p>grpc's resolvers answer only when asked (DNS does not poll), and only a channel grpc manages
 * asks again after an error. So this asks itself: after a failed or empty resolution (with a
 * jittered backoff from 1 s to 30 s), every {@code refreshInterval}, when a leader hint names an
 * unknown address, and when every known member has failed a call.
 *
 * <p>Thread-safe: resolver callbacks run in one {@link SynchronizationContext}; the leases, the
 * scheduled refreshes and the closed flag change only under {@code lock}.
 */
public final class ResolvedMembers implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ResolvedMembers.class);

  /** Port for a target without one, as grpc assumes for TLS. */
  public static final int DEFAULT_PORT = 443;

  /** Re-resolution after an error or an empty answer. */
  static final Backoff ERROR_BACKOFF =
      Backoff.exponential(Duration.ofSeconds(1), Duration.ofSeconds(30));

  private final String group;
  private final String target;
  private final Function<String, Channel> leaseFactory;
  private final StickyRouter router;
  private final SynchronizationContext sync;
  private final NameResolver resolver;
  private final ScheduledExecutorService scheduler;
  private final Duration refreshInterval;
  private final Object lock = new Object();

  /** The least time between two refreshes asked for by leader hints. */
  static final long MIN_REFRESH_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private static final long NEVER = Long.MIN_VALUE;
  private final AtomicLong lastRefreshNanos = new AtomicLong(NEVER);

  @GuardedBy("lock")
  private final Map<String, Channel> channels = new LinkedHashMap<>();

  @GuardedBy("lock")
  private boolean closed;

  @GuardedBy("lock")
  private int errorsInARow;

  @GuardedBy("lock")
  private @Nullable ScheduledFuture<?> retry;

  @GuardedBy("lock")
  private @Nullable ScheduledFuture<?> periodic;

  // Read without the lock, to describe why there are no members.
  private volatile @Nullable Status lastError;

  private ResolvedMembers(
      String group,
      String target,
      Function<String, Channel> leaseFactory,
      StickyRouter router,
      SynchronizationContext sync,
      NameResolver resolver,
      ScheduledExecutorService scheduler,
      Duration refreshInterval) {
    this.group = group;
    this.target = target;
    this.leaseFactory = leaseFactory;
    this.router = router;
    this.sync = sync;
    this.resolver = resolver;
    this.scheduler = scheduler;
    this.refreshInterval = refreshInterval;
  }

  /**
   * Creates the resolver for {@code target} (not started yet).
   *
   * @param leaseFactory takes a lease on a member's address; the lease is closed (released) when
   *     the member goes away
   * @throws IllegalArgumentException if the target does not parse or no registered resolver accepts
   *     its scheme
   */
  public static ResolvedMembers create(
      String group,
      String target,
      NameResolverRegistry registry,
      Function<String, Channel> leaseFactory,
      ScheduledExecutorService scheduler,
      StickyRouter router,
      Duration refreshInterval) {
    SynchronizationContext sync =
        new SynchronizationContext(
            (thread, error) ->
                log.atError()
                    .addKeyValue("group", group)
                    .addKeyValue("target", target)
                    .setCause(error)
                    .log("name resolver callback failed"));
    NameResolver.Args args =
        NameResolver.Args.newBuilder()
            .setDefaultPort(DEFAULT_PORT)
            .setProxyDetector(address -> null)
            .setSynchronizationContext(sync)
            .setScheduledExecutorService(scheduler)
            .setServiceConfigParser(
                new NameResolver.ServiceConfigParser() {
                  @Override
                  public NameResolver.ConfigOrError parseServiceConfig(Map<String, ?> config) {
                    return NameResolver.ConfigOrError.fromError(
                        Status.UNIMPLEMENTED.withDescription(
                            "service config is ignored by a sticky group channel"));
                  }
                })
            .setChannelLogger(new Slf4jChannelLogger(target))
            .setNameResolverRegistry(registry)
            .build();
    NameResolver resolver = newResolver(target, registry, args);
    return new ResolvedMembers(
        group, target, leaseFactory, router, sync, resolver, scheduler, refreshInterval);
  }

  private static NameResolver newResolver(
      String target, NameResolverRegistry registry, NameResolver.Args args) {
    URI uri = null;
    try {
      uri = new URI(target);
    } catch (URISyntaxException e) {
      // Not a URI: try it as host:port under the default scheme, as grpc does.
    }
    if (uri != null && uri.getScheme() != null) {
      @Nullable NameResolverProvider provider = registry.getProviderForScheme(uri.getScheme());
      if (provider != null) {
        return accept(target, uri, provider, args);
      }
      if (target.contains("://")) {
        throw Check.invalid(
            "target",
            target,
            "a scheme with a registered name resolver; unknown scheme '" + uri.getScheme() + "'");
      }
    }
    String scheme = registry.getDefaultScheme();
    @Nullable NameResolverProvider provider = registry.getProviderForScheme(scheme);
    if (provider == null) {
      throw Check.invalid("target", target, "scheme://authority/name; no default resolver");
    }
    URI withScheme;
    try {
      withScheme = new URI(scheme, "", "/" + target, null);
    } catch (URISyntaxException e) {
      IllegalArgumentException invalid =
          Check.invalid("target", target, "host:port or scheme:///name");
      invalid.initCause(e);
      throw invalid;
    }
    return accept(target, withScheme, provider, args);
  }

  private static NameResolver accept(
      String target, URI uri, NameResolverProvider provider, NameResolver.Args args) {
    @Nullable NameResolver r;
    try {
      r = provider.newNameResolver(uri, args);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "target: " + target + " (rejected by the '" + provider.getScheme() + "' resolver)", e);
    }
    if (r == null) {
      throw new IllegalArgumentException(
          "target: " + target + " (rejected by the '" + provider.getScheme() + "' resolver)");
    }
    return r;
  }

  /** The authority the resolver names the target by. */
  public String authority() {
    return resolver.getServiceAuthority();
  }

  /** Starts resolving; the router learns of members from the results. */
  public void start() {
    router.describeNoMembers(this::noMembersDescription);
    // A hint naming an address we do not know, or every member failing a call: the member list
    // may be out of date (a rolling replacement with new addresses).
    router.onUnknownHint(address -> refresh());
    router.onAllMembersFailed(this::refresh);
    sync.execute(
        () -> {
          synchronized (lock) {
            if (closed) {
              return;
            }
          }
          resolver.start(new Listener());
        });
    synchronized (lock) {
      try {
        periodic =
            scheduler.scheduleWithFixedDelay(
                this::refreshNow,
                refreshInterval.toNanos(),
                refreshInterval.toNanos(),
                TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // The channel is closing.
      }
    }
  }

  /** Resolves again now, whatever the rate limit (the periodic and the after-error refresh). */
  private void refreshNow() {
    lastRefreshNanos.set(router.ticker.nanos());
    sync.execute(
        () -> {
          synchronized (lock) {
            if (closed) {
              return;
            }
          }
          resolver.refresh();
        });
  }

  /**
   * Asks the resolver to resolve again, e.g. when a leader hint names an unknown address; at most
   * once per {@link #MIN_REFRESH_INTERVAL_NANOS}, since every waiting call may ask at once.
   */
  public void refresh() {
    long now = router.ticker.nanos();
    long last = lastRefreshNanos.get();
    if (last != NEVER && now - last < MIN_REFRESH_INTERVAL_NANOS) {
      return;
    }
    if (!lastRefreshNanos.compareAndSet(last, now)) {
      return;
    }
    sync.execute(
        () -> {
          synchronized (lock) {
            if (closed) {
              return;
            }
          }
          resolver.refresh();
        });
  }

  private String noMembersDescription() {
    Status e = lastError;
    return "no members resolved for target "
        + target
        + (e == null
            ? ""
            : " (last resolution error: " + e.getCode() + " " + e.getDescription() + ")");
  }

  /** The member key of a resolved address, or null for address types that are not host:port. */
  static @Nullable String key(SocketAddress address) {
    if (!(address instanceof InetSocketAddress isa)) {
      return null;
    }
    String host = isa.getHostString();
    if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return host + ":" + isa.getPort();
  }

  /** Runs in the synchronization context. */
  private Status membersResolved(List<EquivalentAddressGroup> groups) {
    Set<String> keys = new LinkedHashSet<>();
    for (EquivalentAddressGroup g : groups) {
      for (SocketAddress a : g.getAddresses()) {
        String k = key(a);
        if (k == null) {
          log.atDebug()
              .addKeyValue("target", target)
              .addKeyValue("address", a)
              .log("ignoring a resolved address that is not host:port");
        } else {
          keys.add(k);
        }
      }
    }
    if (keys.isEmpty()) {
      // Like an error: an empty answer (often transient) must not strand every call.
      Status empty =
          Status.UNAVAILABLE.withDescription("resolved no host:port addresses for " + target);
      onResolutionError(empty);
      return empty;
    }
    List<StickyRouter.Member> members = new ArrayList<>();
    List<Channel> dropped = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        return Status.OK;
      }
      errorsInARow = 0;
      lastError = null;
      for (String k : keys) {
        Channel ch = channels.get(k);
        if (ch == null) {
          ch = leaseFactory.apply(k);
          channels.put(k, ch);
        }
        members.add(new StickyRouter.Member(k, ch));
      }
      for (var it = channels.entrySet().iterator(); it.hasNext(); ) {
        var e = it.next();
        if (!keys.contains(e.getKey())) {
          dropped.add(e.getValue());
          it.remove();
        }
      }
    }
    router.setMembers(members);
    // Graceful: a call in flight to a removed member finishes; new calls no longer go there.
    dropped.forEach(ResolvedMembers::release);
    log.atInfo()
        .addKeyValue("group", group)
        .addKeyValue("target", target)
        .addKeyValue("members", keys)
        .log("sticky group members resolved");
    return Status.OK;
  }

  /** Keeps the current members and asks again after a jittered, growing delay. */
  private void onResolutionError(Status error) {
    lastError = error;
    long delayNanos;
    synchronized (lock) {
      if (closed) {
        return;
      }
      errorsInARow = Math.min(errorsInARow + 1, 1_000);
      delayNanos =
          ERROR_BACKOFF
              .delay(
                  errorsInARow, () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble())
              .toNanos();
      if (retry == null || retry.isDone()) {
        try {
          retry = scheduler.schedule(this::refreshNow, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
          // The channel is closing.
        }
      }
    }
    log.atWarn()
        .addKeyValue("group", group)
        .addKeyValue("target", target)
        .addKeyValue("code", error.getCode())
        .addKeyValue("description", error.getDescription())
        .addKeyValue("retryMillis", TimeUnit.NANOSECONDS.toMillis(delayNanos))
        .log("name resolution failed; keeping the current members and resolving again");
  }

  private static void release(Channel member) {
    if (member instanceof AutoCloseable lease) {
      try {
        lease.close();
      } catch (Exception e) {
        log.atWarn().setCause(e).log("releasing a member's channel failed");
      }
    }
  }

  /** Stops the resolver and its refreshes, and releases every member's lease. Idempotent. */
  @Override
  public void close() {
    List<Channel> all;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      all = new ArrayList<>(channels.values());
      channels.clear();
      if (retry != null) {
        retry.cancel(false);
      }
      if (periodic != null) {
        periodic.cancel(false);
      }
    }
    sync.execute(resolver::shutdown);
    all.forEach(ResolvedMembers::release);
  }

  private final class Listener extends NameResolver.Listener2 {
    @Override
    public void onResult(NameResolver.ResolutionResult result) {
      onResult2(result);
    }

    @Override
    public Status onResult2(NameResolver.ResolutionResult result) {
      StatusOr<List<EquivalentAddressGroup>> addresses = result.getAddressesOrError();
      if (!addresses.hasValue()) {
        onResolutionError(addresses.getStatus());
        return addresses.getStatus();
      }
      return membersResolved(addresses.getValue());
    }

    @Override
    public void onError(Status error) {
      onResolutionError(error);
    }
  }

  /** Routes the resolver's channel log to SLF4J at DEBUG. */
  private static final class Slf4jChannelLogger extends ChannelLogger {
    private final String target;

    Slf4jChannelLogger(String target) {
      this.target = target;
    }

    @Override
    public void log(ChannelLogLevel level, String message) {
      log.atDebug().addKeyValue("target", target).addKeyValue("level", level).log(message);
    }

    @Override
    public void log(ChannelLogLevel level, String messageFormat, Object... args) {
      if (log.isDebugEnabled()) {
        log(level, MessageFormat.format(messageFormat, args));
      }
    }
  }
}
