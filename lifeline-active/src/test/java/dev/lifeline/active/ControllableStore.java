package dev.lifeline.active;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Wraps a store so tests can kill it (every call fails) or stall renewals (like a long GC). */
public final class ControllableStore implements LeaseStore {

  private final LeaseStore delegate;
  private volatile boolean dead;
  private volatile CountDownLatch stall;

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
  public Optional<Lease> acquire(GroupId group, String holderId, String address, Duration ttl) {
    check();
    return delegate.acquire(group, holderId, address, ttl);
  }

  @Override
  public Optional<Lease> renew(Lease lease) {
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
  public AutoCloseable watch(GroupId group, Consumer<Optional<Lease>> listener) {
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
  public void close() {
    unstall();
    delegate.close();
  }
}
