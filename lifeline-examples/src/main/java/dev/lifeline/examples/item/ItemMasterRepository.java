package dev.lifeline.examples.item;

import dev.lifeline.core.internal.Check;
import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemDetail;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The cart's view of the master-data service, rewritten from kugelpos's {@code
 * ItemMasterGrpcRepository}. Web frameworks build one per request (FastAPI's dependency injection
 * built 86 channels for 58 requests in the original, whose pooling lived in the instance). Here an
 * instance is only a stub over the application's channel: get one from {@link
 * ItemMasterRepositories#forRequest(String, String)}, use it, drop it. Nothing to close.
 *
 * <p>Not thread-safe, like the request that owns it; the channel under it is.
 */
public final class ItemMasterRepository {

  /** The original's {@code GRPC_TIMEOUT} of 5 s per lookup. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private final ItemServiceGrpc.ItemServiceBlockingStub stub;
  private final String tenantId;
  private final String storeCode;
  private final Duration timeout;

  /**
   * A repository for one request over a shared channel.
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public ItemMasterRepository(
      Channel channel, String tenantId, String storeCode, Duration timeout) {
    Objects.requireNonNull(channel, "channel");
    this.timeout = Check.positive("timeout", timeout);
    this.tenantId = Objects.requireNonNull(tenantId, "tenantId");
    this.storeCode = Objects.requireNonNull(storeCode, "storeCode");
    this.stub = ItemServiceGrpc.newBlockingStub(channel);
  }

  /**
   * Looks an item up by code.
   *
   * @throws ItemNotFoundException if the service answers NOT_FOUND or an empty item
   * @throws RepositoryException for every other failure, with the item code and gRPC status
   */
  public ItemDetail getItemByCode(String itemCode) {
    ItemDetail detail;
    try {
      detail =
          stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
              .getItemDetail(
                  GetItemDetailRequest.newBuilder()
                      .setTenantId(tenantId)
                      .setStoreCode(storeCode)
                      .setItemCode(itemCode)
                      .build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        throw new ItemNotFoundException(itemCode);
      }
      throw new RepositoryException(
          "gRPC error for item "
              + itemCode
              + ": "
              + e.getStatus().getCode()
              + " - "
              + e.getStatus().getDescription(),
          e.getStatus(),
          e);
    }
    // Outside the try on purpose: the original raised NotFound inside it and its catch-all turned
    // it into a RepositoryException.
    if (detail.getItemCode().isEmpty()) {
      throw new ItemNotFoundException(itemCode);
    }
    return detail;
  }
}
