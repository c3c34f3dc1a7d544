package io.cobalt.node.consensus;

import io.cobalt.proto.node.v1.PlacementMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which nodes chunk placement leaves out (ADR 0028), free of Raft. The placement map's
 * {@code retired_node_ids} lists nodes the placement controller declared gone; chunk placement is
 * rendezvous over the configured nodes minus them, so anti-entropy re-replicates a retired node's
 * chunks to the node that takes its place. Retirement is sticky: a retired node that returns is
 * not written to again until it is re-admitted ({@link #readmitted}).
 *
 * <p>Retiring never leaves fewer than {@link #MIN_PLACEMENT_NODES} nodes to place chunks on (the
 * default chunk replication factor): below that there is nowhere to re-replicate to, and a
 * smaller placement would only lower the number of targets a write tries.
 */
final class ChunkRetirement {
  static final int MIN_PLACEMENT_NODES = 3;

  private ChunkRetirement() {}

  /**
   * {@code map} (same version) with the nodes of {@code gone} that are configured and not retired
   * yet added to its retired list, in node-id order, as long as at least
   * {@link #MIN_PLACEMENT_NODES} configured nodes stay unretired. Returns {@code map} itself when
   * nothing changes.
   */
  static PlacementMap withRetired(PlacementMap map, List<String> configured, Set<String> gone) {
    List<String> retired = new ArrayList<>(map.getRetiredNodeIdsList());
    long placeable = configured.stream().filter(id -> !retired.contains(id)).count();
    List<String> added = new ArrayList<>();
    for (String id : new TreeSet<>(gone)) {
      if (configured.contains(id) && !retired.contains(id) && placeable - 1 >= MIN_PLACEMENT_NODES) {
        added.add(id);
        placeable--;
      }
    }
    if (added.isEmpty()) {
      return map;
    }
    return map.toBuilder().addAllRetiredNodeIds(added).build();
  }

  /** The next map version with {@code nodeId} re-admitted to chunk placement, or null if it is not retired. */
  static PlacementMap readmitted(PlacementMap map, String nodeId) {
    if (!map.getRetiredNodeIdsList().contains(nodeId)) {
      return null;
    }
    List<String> retired = new ArrayList<>(map.getRetiredNodeIdsList());
    retired.remove(nodeId);
    return map.toBuilder().setVersion(map.getVersion() + 1).clearRetiredNodeIds().addAllRetiredNodeIds(retired)
        .build();
  }
}
