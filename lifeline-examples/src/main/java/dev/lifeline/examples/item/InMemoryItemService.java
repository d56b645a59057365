package dev.lifeline.examples.item;

import dev.lifeline.examples.item.proto.GetItemDetailRequest;
import dev.lifeline.examples.item.proto.ItemDetail;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small master-data server: items kept in memory per tenant and store. Answers NOT_FOUND for an
 * unknown item and INVALID_ARGUMENT for an empty item code.
 *
 * <p>Thread-safe.
 */
public final class InMemoryItemService extends ItemServiceGrpc.ItemServiceImplBase {

  private final Map<String, ItemDetail> items = new ConcurrentHashMap<>();
  private final AtomicLong requests = new AtomicLong();

  /** Adds or replaces an item for a tenant and store; returns this service. */
  public InMemoryItemService put(String tenantId, String storeCode, ItemDetail item) {
    items.put(key(tenantId, storeCode, item.getItemCode()), item);
    return this;
  }

  /** Lookups served so far. */
  public long requests() {
    return requests.get();
  }

  @Override
  public void getItemDetail(GetItemDetailRequest request, StreamObserver<ItemDetail> response) {
    requests.incrementAndGet();
    if (request.getItemCode().isEmpty()) {
      response.onError(
          Status.INVALID_ARGUMENT.withDescription("item_code: empty").asRuntimeException());
      return;
    }
    ItemDetail item =
        items.get(key(request.getTenantId(), request.getStoreCode(), request.getItemCode()));
    if (item == null) {
      response.onError(
          Status.NOT_FOUND
              .withDescription("item " + request.getItemCode() + " not found")
              .asRuntimeException());
      return;
    }
    response.onNext(item);
    response.onCompleted();
  }

  private static String key(String tenantId, String storeCode, String itemCode) {
    return tenantId + '\u0000' + storeCode + '\u0000' + itemCode;
  }
}
