package dev.lifeline.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BoundedDnsResolverTest {

  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger lookups = new AtomicInteger();

  /** A resolver that hangs until released, like a DNS server that never answers. */
  private final DnsResolver hanging =
      new DnsResolver() {
        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
          lookups.incrementAndGet();
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return new InetAddress[] {InetAddress.getLoopbackAddress()};
        }

        @Override
        public String resolveCanonicalHostname(String host) {
          return host;
        }
      };

  private final BoundedDnsResolver resolver =
      new BoundedDnsResolver(hanging, Duration.ofSeconds(5), "test");

  @AfterEach
  void tearDown() {
    release.countDown();
    resolver.close();
  }

  @Test
  void aHangingLookupEndsAtTheExchangesDeadlineAndIsSharedByConcurrentAskers() {
    Exchange x =
        new Exchange(
            new HttpGet("http://storage.internal/"),
            HttpClientContext.create(),
            TimeUnit.MILLISECONDS.toNanos(300));
    Exchange outer = x.enter();
    try {
      long start = System.nanoTime();
      assertThatThrownBy(() -> resolver.resolve("storage.internal"))
          .isInstanceOf(DnsTimeoutException.class)
          .hasMessageContaining("'storage.internal'");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
      assertThat(x.phase()).isEqualTo(HttpClassifier.Phase.NOT_CONNECTED);
      assertThatThrownBy(() -> resolver.resolve("storage.internal"))
          .isInstanceOf(DnsTimeoutException.class);
    } finally {
      x.exit(outer);
    }
    assertThat(lookups).as("one lookup thread for the host, however many ask").hasValue(1);
    release.countDown();
  }

  @Test
  void addressLiteralsAreNotLookedUp() throws Exception {
    assertThat(resolver.resolve("127.0.0.1")).containsExactly(InetAddress.getByName("127.0.0.1"));
    assertThat(resolver.resolve("::1")).containsExactly(InetAddress.getByName("::1"));
    assertThat(lookups).hasValue(0);
  }
}
