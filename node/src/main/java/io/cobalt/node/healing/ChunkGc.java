package io.cobalt.node.healing;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.proto.node.v1.ChunkReferences;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes local chunks that no partition references, never sooner than {@code gcDelayMillis} after
 * their last write (ADR 0010). Per batch of {@code gcBatch} stored ids: the candidates are those
 * last written before {@code now - delay}; every partition is asked, linearizably (through its
 * Raft leader), which of them it references; a candidate no partition references is deleted only
 * if its last-written time is still before the cutoff, atomically with writes of it. If any
 * partition does not answer, the batch is kept whole.
 *
 * <p>Invariant: an upload commits its manifest (or staged block) within {@code gcDelayMillis} of
 * writing its chunks. Then a chunk GC sees as unreferenced was last written more than the delay
 * before the reference query, so any upload that wrote it committed before the query and is seen.
 */
final class ChunkGc {
  private static final Logger log = LoggerFactory.getLogger(ChunkGc.class);
  private static final long QUERY_TIMEOUT_MILLIS = 30_000;

  private final HealingService heal;
  private final HealingService.NodeView node;

  ChunkGc(HealingService heal, HealingService.NodeView node) {
    this.heal = heal;
    this.node = node;
  }

  void runPass() {
    ChunkId after = null;
    int batch = heal.config().gcBatch();
    while (!heal.closed()) {
      List<ChunkId> page = heal.chunks().idsAfter(after, batch);
      if (!page.isEmpty()) {
        collect(page);
      }
      if (page.size() < batch) {
        break;
      }
      after = page.get(page.size() - 1);
    }
    heal.figures().gcPasses.incrementAndGet();
  }

  private void collect(List<ChunkId> ids) {
    long cutoff = heal.clock().millis() - heal.config().gcDelayMillis();
    List<ChunkId> candidates = new ArrayList<>();
    for (ChunkId id : ids) {
      OptionalLong written = heal.chunks().writtenMillis(id);
      if (written.isPresent() && written.getAsLong() < cutoff) {
        candidates.add(id);
      }
    }
    if (candidates.isEmpty()) {
      return;
    }
    Set<ChunkId> referenced = new HashSet<>();
    ChunkReferences.Builder ask = ChunkReferences.newBuilder();
    for (ChunkId id : candidates) {
      ask.addChunkIds(ByteString.copyFrom(id.bytes()));
    }
    for (int p = 0; p < node.partitions(); p++) {
      QueryResult r;
      try {
        r = node.linearizableQuery().apply(MetadataQuery.newBuilder().setPartition(p).setChunkReferences(ask).build())
            .get(QUERY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        log.info("node {}: chunk GC keeps {} candidates: partition {} did not answer ({})", heal.nodeId(),
            candidates.size(), p, e.toString());
        heal.figures().gcKept.addAndGet(candidates.size());
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      for (ByteString b : r.getReferencedChunkIdsList()) {
        referenced.add(ChunkId.of(b.toByteArray()));
      }
    }
    for (ChunkId id : candidates) {
      if (referenced.contains(id) || !heal.chunks().deleteIfWrittenBefore(id, cutoff)) {
        heal.figures().gcKept.incrementAndGet();
      } else {
        heal.figures().gcDeleted.incrementAndGet();
        log.debug("node {}: chunk GC deleted unreferenced chunk {}", heal.nodeId(), id.hex());
      }
    }
  }
}
