package io.cobalt.node.healing;

import io.cobalt.node.storage.RepairItem;
import io.cobalt.node.storage.RepairQueueStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's repair queue: durable ({@link RepairQueueStore}, reloaded at start), bounded, one
 * entry per (chunk, target). Back-off state (attempts, next try) is in memory only: after a restart
 * every item is due at once. Thread-safe; store writes happen outside the monitor.
 */
final class RepairQueue {
  /** A queued item with its back-off state. */
  static final class Entry {
    final RepairItem.Key key;
    volatile RepairItem item;
    int attempts;
    long notBeforeMillis;

    Entry(RepairItem item) {
      this.key = item.key();
      this.item = item;
    }
  }

  private final RepairQueueStore store;
  private final int maxItems;
  private final long retryMinMillis;
  private final long retryMaxMillis;
  private final Map<RepairItem.Key, Entry> entries = new LinkedHashMap<>();
  final AtomicLong dropped = new AtomicLong();

  RepairQueue(RepairQueueStore store, int maxItems, long retryMinMillis, long retryMaxMillis) {
    this.store = store;
    this.maxItems = maxItems;
    this.retryMinMillis = retryMinMillis;
    this.retryMaxMillis = retryMaxMillis;
    for (RepairItem item : store.load(maxItems)) {
      entries.put(item.key(), new Entry(item));
    }
  }

  /** Queues {@code item} (merging its sources into a queued one). Returns whether it is new. */
  boolean offer(RepairItem item) {
    RepairItem toStore;
    synchronized (this) {
      Entry e = entries.get(item.key());
      if (e != null) {
        Set<String> merged = new LinkedHashSet<>(e.item.sources());
        merged.addAll(item.sources());
        if (merged.size() == e.item.sources().size()) {
          return false;
        }
        e.item = new RepairItem(item.chunk(), item.targetNode(), List.copyOf(merged));
        toStore = e.item;
      } else if (entries.size() >= maxItems) {
        dropped.incrementAndGet();
        return false;
      } else {
        entries.put(item.key(), new Entry(item));
        toStore = item;
      }
    }
    store.save(toStore);
    return toStore == item;
  }

  /** Up to {@code limit} items due at {@code nowMillis}, in queue order. */
  synchronized List<Entry> due(long nowMillis, int limit) {
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (out.size() == limit) {
        break;
      }
      if (e.notBeforeMillis <= nowMillis) {
        out.add(e);
      }
    }
    return out;
  }

  /** The item is done (or moot): removes it. */
  void done(Entry e) {
    synchronized (this) {
      entries.remove(e.key);
    }
    store.remove(e.key);
  }

  /** The attempt failed: the item stays, due again after an exponential back-off. */
  synchronized void retryLater(Entry e, long nowMillis) {
    e.attempts++;
    long backoff = retryMinMillis << Math.min(e.attempts - 1, 30);
    e.notBeforeMillis = nowMillis + Math.min(retryMaxMillis, backoff);
  }

  synchronized int size() {
    return entries.size();
  }
}
