package io.cobalt.node.healing;

import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.RepairItem;
import io.cobalt.node.storage.VerifiedChunkStore;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-hashes every chunk of the local store at most {@code scrubBytesPerSecond}; a corrupt replica
 * is removed (so readers fail over at once and a repair can write a good copy) and a repair of this
 * node from the chunk's other replicas is queued. One pass, then a pause.
 */
final class Scrubber {
  private static final Logger log = LoggerFactory.getLogger(Scrubber.class);
  private static final int PAGE = 256;

  private final HealingService heal;

  Scrubber(HealingService heal) {
    this.heal = heal;
  }

  void runPass() {
    long rate = heal.config().scrubBytesPerSecond();
    long startedNanos = System.nanoTime();
    long bytes = 0;
    ChunkId after = null;
    while (!heal.closed()) {
      List<ChunkId> page = heal.chunks().idsAfter(after, PAGE);
      for (ChunkId id : page) {
        if (heal.closed()) {
          return;
        }
        long[] size = new long[1];
        VerifiedChunkStore.Verdict v = heal.chunks().verify(id, size);
        bytes += size[0];
        heal.figures().scrubScanned.incrementAndGet();
        if (v == VerifiedChunkStore.Verdict.CORRUPT_REMOVED) {
          heal.figures().scrubCorrupt.incrementAndGet();
          List<String> sources = new ArrayList<>(heal.placement().replicasOf(id));
          sources.remove(heal.nodeId());
          heal.queue().offer(new RepairItem(id, heal.nodeId(), sources));
          log.warn("node {}: scrubber found chunk {} corrupt; removed it and queued a repair", heal.nodeId(),
              id.hex());
        }
        throttle(rate, bytes, startedNanos);
      }
      if (page.size() < PAGE) {
        break;
      }
      after = page.get(page.size() - 1);
    }
    heal.figures().scrubPasses.incrementAndGet();
  }

  /** Sleeps until {@code bytes} at {@code rate} bytes/s have had their time since {@code startedNanos}. */
  private void throttle(long rate, long bytes, long startedNanos) {
    long dueNanos = startedNanos + (long) (bytes * 1e9 / rate);
    long wait = dueNanos - System.nanoTime();
    if (wait > 0) {
      try {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("scrub interrupted", e);
      }
    }
  }
}
