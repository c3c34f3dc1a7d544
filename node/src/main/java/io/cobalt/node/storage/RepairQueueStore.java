package io.cobalt.node.storage;

import java.util.List;

/**
 * Persistence SPI of the node's repair queue (ADR 0010): the items survive a restart. Blocking.
 *
 * @throws StorageException from any method when the underlying store fails or is closed
 */
public interface RepairQueueStore {
  /** Stores (or replaces) the item keyed by its chunk and target, durably. */
  void save(RepairItem item);

  /** Removes the item of {@code key}; absent is fine. */
  void remove(RepairItem.Key key);

  /** Up to {@code limit} stored items, in key order. */
  List<RepairItem> load(int limit);
}
