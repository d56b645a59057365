package dev.lifeline.http.internal;

import dev.lifeline.core.Ticker;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.client5.http.DnsResolver;

/**
 * A {@link DnsResolver} that reuses each successful lookup for a fixed time, like aiohttp's {@code
 * ttl_dns_cache}, so that a burst of new connections does not become a burst of DNS queries while
 * address changes are still picked up after the TTL. Failed lookups are not cached, so a host that
 * appears later is found at once.
 *
 * <p>Thread-safe: entries live in a concurrent map; two threads may resolve the same expired host
 * at once, which is harmless.
 */
public final class CachingDnsResolver implements DnsResolver {

  private final DnsResolver delegate;
  private final long ttlNanos;
  private final Ticker ticker;
  private final ConcurrentMap<String, Entry> cache = new ConcurrentHashMap<>();
  private final AtomicLong lookups = new AtomicLong();

  private record Entry(List<InetAddress> addresses, long expiresAtNanos) {}

  /** Caches {@code delegate}'s answers for {@code ttl}, measured on {@code ticker}. */
  public CachingDnsResolver(DnsResolver delegate, Duration ttl, Ticker ticker) {
    this.delegate = delegate;
    this.ttlNanos = ttl.toNanos();
    this.ticker = ticker;
  }

  @Override
  public InetAddress[] resolve(String host) throws UnknownHostException {
    long now = ticker.nanos();
    Entry e = cache.get(host);
    if (e != null && now - e.expiresAtNanos < 0) {
      return e.addresses.toArray(new InetAddress[0]);
    }
    lookups.incrementAndGet();
    InetAddress[] fresh = delegate.resolve(host);
    cache.put(host, new Entry(List.of(fresh), now + ttlNanos));
    return fresh;
  }

  @Override
  public String resolveCanonicalHostname(String host) throws UnknownHostException {
    return delegate.resolveCanonicalHostname(host);
  }

  /** How many lookups went to the delegate. */
  public long lookups() {
    return lookups.get();
  }
}
