package dev.lifeline.http.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.core5.net.InetAddressUtils;

/**
 * A {@link DnsResolver} whose lookups end at the deadline of the exchange that asked. The JDK's
 * lookup cannot be interrupted, so it runs on a lookup thread while the exchange waits for at most
 * the time it has left, then fails with {@link DnsTimeoutException}. Concurrent lookups of one host
 * share one lookup thread, so a hung resolver costs one thread per host, not one per request.
 * Address literals are resolved at once.
 *
 * <p>Thread-safe. {@link #close()} stops the lookup threads.
 */
final class BoundedDnsResolver implements DnsResolver, AutoCloseable {

  private final DnsResolver delegate;
  private final long fallbackNanos;
  private final ExecutorService lookups;
  private final ConcurrentMap<String, CompletableFuture<InetAddress[]>> inFlight =
      new ConcurrentHashMap<>();

  /**
   * @param fallback how long a lookup outside any exchange may take
   */
  BoundedDnsResolver(DnsResolver delegate, Duration fallback, String clientName) {
    this.delegate = delegate;
    this.fallbackNanos = fallback.toNanos();
    this.lookups =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "lifeline-http-dns-" + clientName);
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public InetAddress[] resolve(String host) throws UnknownHostException {
    if (InetAddressUtils.isIPv4(host) || InetAddressUtils.isIPv6(host)) {
      // Parsed, not looked up: no query leaves the process.
      return new InetAddress[] {InetAddress.getByName(host)};
    }
    Exchange exchange = Exchange.current();
    long waitNanos = exchange != null ? exchange.remainingNanos() : fallbackNanos;
    CompletableFuture<InetAddress[]> lookup = lookup(host);
    try {
      return lookup.get(Math.max(0, waitNanos), TimeUnit.NANOSECONDS).clone();
    } catch (TimeoutException e) {
      throw new DnsTimeoutException(host, TimeUnit.NANOSECONDS.toMillis(Math.max(0, waitNanos)));
    } catch (ExecutionException e) {
      // run() fails the lookup with what the delegate threw; a cause is not promised, though.
      Throwable cause = Objects.requireNonNullElse(e.getCause(), e);
      UnknownHostException failure = new UnknownHostException(String.valueOf(cause.getMessage()));
      failure.initCause(cause);
      throw failure;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      UnknownHostException failure =
          new UnknownHostException("interrupted while resolving '" + host + "'");
      failure.initCause(e);
      throw failure;
    }
  }

  private CompletableFuture<InetAddress[]> lookup(String host) {
    CompletableFuture<InetAddress[]> mine = new CompletableFuture<>();
    CompletableFuture<InetAddress[]> running = inFlight.putIfAbsent(host, mine);
    if (running != null) {
      return running;
    }
    // Inserted before the lookup starts, so its removal can never precede the insertion.
    try {
      lookups.execute(() -> run(host, mine));
    } catch (RejectedExecutionException closed) {
      inFlight.remove(host, mine);
      mine.completeExceptionally(closed);
    }
    return mine;
  }

  private void run(String host, CompletableFuture<InetAddress[]> mine) {
    try {
      InetAddress[] addresses = delegate.resolve(host);
      if (addresses == null || addresses.length == 0) {
        throw new UnknownHostException(host);
      }
      mine.complete(addresses);
    } catch (Throwable t) {
      mine.completeExceptionally(t);
    } finally {
      inFlight.remove(host, mine);
    }
  }

  @Override
  public String resolveCanonicalHostname(String host) throws UnknownHostException {
    return delegate.resolveCanonicalHostname(host);
  }

  @Override
  public void close() {
    lookups.shutdownNow();
  }
}
