package io.cobalt.node.healing;

import io.cobalt.node.storage.ChunkCopy;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.RepairItem;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the repair queue at a bounded rate: for each due item a copy is fetched from a source (the item's hints, then the chunk's
 * placement replicas), its SHA-256 checked, and put on the target. A failure (target down, no
 * source) leaves the item queued with a back-off.
 */
final class RepairWorker {
  private static final Logger log = LoggerFactory.getLogger(RepairWorker.class);

  private final HealingService heal;

  RepairWorker(HealingService heal) {
    this.heal = heal;
  }

  /** One tick: at most {@code repairsPerSecond} items (the tick is one second). */
  void runOnce() {
    List<RepairQueue.Entry> due = heal.queue().due(heal.clock().millis(), heal.config().repairsPerSecond());
    for (RepairQueue.Entry e : due) {
      if (heal.closed()) {
        return;
      }
      if (repair(e.item)) {
        heal.queue().done(e);
      } else {
        heal.figures().repairAttemptsFailed.incrementAndGet();
        heal.queue().retryLater(e, heal.clock().millis());
      }
    }
  }

  private boolean repair(RepairItem item) {
    ChunkId id = item.chunk();
    String target = item.targetNode();
    if (heal.placement().isRetired(target)) {
      // Retired from chunk placement (ADR 0028): nothing is written to it; the chunk's new target
      // is anti-entropy's business. The item is moot.
      log.debug("repair of {} on {}: target retired, dropped", id.hex(), target);
      return true;
    }
    // No "does the target have it" shortcut: HasChunks looks at keys, and a corrupt replica that a
    // gateway read failed over from has its key. The target's PutChunk replaces a corrupt copy and
    // is a no-op (ALREADY_PRESENT) for a good one.
    Set<String> sources = new LinkedHashSet<>(item.sources());
    sources.addAll(heal.placement().replicasOf(id));
    sources.add(heal.nodeId());
    sources.addAll(heal.placement().rank(id)); // last: any node, a retired one still up included
    sources.remove(target);
    for (String source : sources) {
      Optional<ChunkCopy> data;
      try {
        data = heal.fetch(source, id);
      } catch (RuntimeException e) {
        log.debug("repair of {}: source {} failed: {}", id.hex(), source, e.getMessage());
        continue;
      }
      if (data.isEmpty()) {
        continue;
      }
      try {
        heal.store(target, id, data.get());
      } catch (RuntimeException e) {
        log.debug("repair of {} on {}: write failed: {}", id.hex(), target, e.getMessage());
        return false;
      }
      heal.figures().repairsDone.incrementAndGet();
      log.info("node {}: repaired chunk {} on {} from {}", heal.nodeId(), id.hex(), target, source);
      return true;
    }
    log.debug("repair of {} on {}: no source holds a good copy yet", id.hex(), target);
    return false;
  }
}
