package dev.lifeline.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifeline.testing.FakeClock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.DnsResolver;
import org.junit.jupiter.api.Test;

class CachingDnsResolverTest {

  private final FakeClock clock = new FakeClock();
  private final AtomicInteger queries = new AtomicInteger();
  private volatile boolean known = true;

  private final DnsResolver delegate =
      new DnsResolver() {
        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
          queries.incrementAndGet();
          if (!known) {
            throw new UnknownHostException(host);
          }
          return new InetAddress[] {InetAddress.getLoopbackAddress()};
        }

        @Override
        public String resolveCanonicalHostname(String host) {
          return host;
        }
      };

  @Test
  void reusesALookupUntilTheTtlPassesThenAsksAgain() throws Exception {
    CachingDnsResolver dns = new CachingDnsResolver(delegate, Duration.ofMinutes(5), clock);
    dns.resolve("storage");
    dns.resolve("storage");
    clock.forward(Duration.ofMinutes(4));
    dns.resolve("storage");
    assertThat(queries).hasValue(1);
    clock.forward(Duration.ofMinutes(1));
    dns.resolve("storage");
    assertThat(queries).hasValue(2);
    assertThat(dns.lookups()).isEqualTo(2);
  }

  @Test
  void doesNotCacheFailedLookups() throws Exception {
    CachingDnsResolver dns = new CachingDnsResolver(delegate, Duration.ofMinutes(5), clock);
    known = false;
    assertThatThrownBy(() -> dns.resolve("later")).isInstanceOf(UnknownHostException.class);
    known = true;
    assertThat(dns.resolve("later")).hasSize(1);
    assertThat(queries).hasValue(2);
  }
}
