package dev.lifeline.active.internal;

/**
 * The order of positions in a lease store, shared by {@link dev.lifeline.active.LeaseEvent} and the
 * member so that both compare a late watch event the same way. Stateless and thread-safe.
 */
public final class StoreOrder {

  private StoreOrder() {}

  /**
   * Whether position ({@code epoch}, {@code revision}) comes after ({@code otherEpoch}, {@code
   * otherRevision}): a later epoch (store generation) is later; within one epoch the larger
   * revision is.
   */
  public static boolean isAfter(long epoch, long revision, long otherEpoch, long otherRevision) {
    return epoch != otherEpoch ? epoch > otherEpoch : revision > otherRevision;
  }
}
