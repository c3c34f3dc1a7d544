package io.cobalt.node.storage;

import java.util.List;
import java.util.Objects;

/**
 * One entry of a node's repair queue: chunk {@code chunk} should be on node {@code targetNode}.
 *
 * @param sources nodes believed to hold a good copy (hints; the worker also tries the chunk's
 *     placement replicas)
 */
public record RepairItem(ChunkId chunk, String targetNode, List<String> sources) {
  public RepairItem {
    Objects.requireNonNull(chunk, "chunk");
    Objects.requireNonNull(targetNode, "targetNode");
    sources = List.copyOf(sources);
  }

  /** What identifies the item in the queue: the chunk and the target (sources are hints). */
  public record Key(ChunkId chunk, String targetNode) {}

  public Key key() {
    return new Key(chunk, targetNode);
  }
}
