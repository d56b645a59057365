package dev.lifeline.examples.item;

/** The master-data service has no item with the requested code. */
public final class ItemNotFoundException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String itemCode;

  public ItemNotFoundException(String itemCode) {
    super("item not found: " + itemCode);
    this.itemCode = itemCode;
  }

  /** The code that was looked up. */
  public String itemCode() {
    return itemCode;
  }
}
