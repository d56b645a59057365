package dev.lifeline.active;

/** The group failover tests on the embedded store, shared by all members as in one JVM. */
class InMemoryGroupFailoverTest extends AbstractGroupFailoverTest {

  private final InMemoryLeaseStore shared = InMemoryLeaseStore.create();

  @Override
  protected LeaseStore newStore() {
    return new LeaseStore() {
      // Each member closes its own view; the shared store stays.
      @Override
      public Acquisition acquire(GroupId g, LeaseHolder h, java.time.Duration ttl) {
        return shared.acquire(g, h, ttl);
      }

      @Override
      public java.util.Optional<Lease> renew(Lease l) {
        return shared.renew(l);
      }

      @Override
      public boolean release(Lease l) {
        return shared.release(l);
      }

      @Override
      public java.util.Optional<Lease> read(GroupId g) {
        return shared.read(g);
      }

      @Override
      public AutoCloseable watch(GroupId g, java.util.function.Consumer<LeaseEvent> listener) {
        return shared.watch(g, listener);
      }

      @Override
      public void close() {}
    };
  }
}
