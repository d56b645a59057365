package dev.lifeline.examples.item;

import dev.lifeline.core.internal.Check;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineChannel;
import java.time.Duration;

/**
 * The application-scoped provider that a dependency-injection container holds as a singleton: it
 * leases the master-data channel once and hands out an {@link ItemMasterRepository} per request,
 * all on that channel. {@link #close()} at application shutdown releases the lease; other
 * components leasing the same target from the same pool keep the channel open.
 *
 * <p>Thread-safe.
 */
public final class ItemMasterRepositories implements AutoCloseable {

  /** The original's {@code MASTER_DATA_GRPC_URL} default. */
  public static final String DEFAULT_TARGET = "master-data:50051";

  private final LifelineChannel channel;
  private final Duration timeout;

  /**
   * Leases {@code target} from {@code pool}; opens nothing until the first lookup.
   *
   * @throws IllegalArgumentException if {@code target} is not a valid gRPC target (the message
   *     names it) or {@code timeout} is not positive
   */
  public ItemMasterRepositories(ChannelPool pool, String target, Duration timeout) {
    this.timeout = Check.positive("timeout", timeout);
    this.channel = pool.lease(target);
  }

  /** A provider with the original's 5 s lookup timeout. */
  public ItemMasterRepositories(ChannelPool pool, String target) {
    this(pool, target, ItemMasterRepository.DEFAULT_TIMEOUT);
  }

  /** A repository for one request: cheap, shares the channel, needs no closing. */
  public ItemMasterRepository forRequest(String tenantId, String storeCode) {
    return new ItemMasterRepository(channel, tenantId, storeCode, timeout);
  }

  /** Whether the shared channel would take a call now, from local state only. */
  public boolean isHealthy() {
    return channel.isHealthy();
  }

  /** Releases the lease; idempotent. */
  @Override
  public void close() {
    channel.close();
  }
}
