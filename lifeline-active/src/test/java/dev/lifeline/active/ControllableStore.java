package dev.lifeline.active;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Wraps a store so tests can kill it (every call fails) or stall renewals (like a long GC). Tests
 * subclass it to make one operation misbehave.
 */
public class ControllableStore implements LeaseStore {

  private final LeaseStore delegate;
  private volatile boolean dead;
  private volatile CountDownLatch stall;
  private final java.util.concurrent.atomic.AtomicInteger renewsStarted =
      new java.util.concurrent.atomic.AtomicInteger();

  public ControllableStore(LeaseStore delegate) {
    this.delegate = delegate;
  }

  public LeaseStore delegate() {
    return delegate;
  }

  public void kill() {
    dead = true;
  }

  public void revive() {
    dead = false;
  }

  public void stallRenewals() {
    stall = new CountDownLatch(1);
  }

  /** Renewals that reached this store, stalled or not. */
  public int renewsStarted() {
    return renewsStarted.get();
  }

  public void unstall() {
    CountDownLatch s = stall;
    stall = null;
    if (s != null) {
      s.countDown();
    }
  }

  private void check() {
    if (dead) {
      throw new LeaseStoreException("store killed by the test");
    }
  }

  @Override
  public Acquisition acquire(GroupId group, LeaseHolder holder, Duration ttl) {
    check();
    return delegate.acquire(group, holder, ttl);
  }

  @Override
  public Optional<Lease> renew(Lease lease) {
    renewsStarted.incrementAndGet();
    CountDownLatch s = stall;
    if (s != null) {
      try {
        // Bounded: a stalled renewal resumes at the latest after 10 s.
        s.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LeaseStoreException("interrupted");
      }
    }
    check();
    return delegate.renew(lease);
  }

  @Override
  public boolean release(Lease lease) {
    check();
    return delegate.release(lease);
  }

  @Override
  public Optional<Lease> read(GroupId group) {
    check();
    return delegate.read(group);
  }

  @Override
  public AutoCloseable watch(GroupId group, Consumer<LeaseEvent> listener) {
    check();
    return delegate.watch(
        group,
        l -> {
          if (!dead) {
            listener.accept(l);
          }
        });
  }

  @Override
  public void tokenSeenDownstream(GroupId group, long token) {
    delegate.tokenSeenDownstream(group, token);
  }

  @Override
  public void close() {
    unstall();
    delegate.close();
  }
}
