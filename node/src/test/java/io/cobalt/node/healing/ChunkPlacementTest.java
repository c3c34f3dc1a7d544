package io.cobalt.node.healing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.node.storage.ChunkId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The node's chunk placement must name the same replicas as the gateway's
 * {@code RendezvousPlacement.replicasOf} (anti-entropy checks where the gateway writes). The
 * expected lists were computed with the gateway's class for the same five nodes and ids; a change
 * to either hash breaks this test.
 */
class ChunkPlacementTest {
  @Test
  void namesTheSameReplicasAsTheGatewaysRendezvousPlacement() {
    ChunkPlacement placement = new ChunkPlacement(List.of("node-1", "node-2", "node-3", "node-4", "node-5"), 3);
    List<List<String>> expected = List.of(
        List.of("node-2", "node-5", "node-1"),
        List.of("node-4", "node-3", "node-5"),
        List.of("node-1", "node-2", "node-4"),
        List.of("node-2", "node-3", "node-4"),
        List.of("node-1", "node-3", "node-5"),
        List.of("node-3", "node-2", "node-1"));
    for (int i = 0; i < expected.size(); i++) {
      ChunkId id = ChunkId.ofContent(("chunk-" + i).getBytes(StandardCharsets.UTF_8));
      assertEquals(expected.get(i), placement.replicasOf(id), "chunk-" + i);
    }
  }

  @Test
  void aRetiredNodesPlaceGoesToTheNextNodeInRendezvousOrderAndNothingElseMoves() {
    ChunkPlacement placement = new ChunkPlacement(List.of("node-1", "node-2", "node-3", "node-4", "node-5"), 3);
    List<List<String>> before = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      before.add(placement.replicasOf(ChunkId.ofContent(("chunk-" + i).getBytes(StandardCharsets.UTF_8))));
    }
    placement.followRetired(() -> List.of("node-2"));
    int moved = 0;
    for (int i = 0; i < 50; i++) {
      ChunkId id = ChunkId.ofContent(("chunk-" + i).getBytes(StandardCharsets.UTF_8));
      List<String> now = placement.replicasOf(id);
      assertEquals(3, now.size());
      assertFalse(now.contains("node-2"));
      if (!before.get(i).contains("node-2")) {
        assertEquals(before.get(i), now, "chunk-" + i + " did not involve the retired node");
        continue;
      }
      moved++;
      List<String> expected = new java.util.ArrayList<>(placement.rank(id));
      expected.remove("node-2");
      assertEquals(expected.subList(0, 3), now, "chunk-" + i + ": the next unretired nodes in rendezvous order");
    }
    assertTrue(moved > 0);
    // Pinned for the gateway's RendezvousPlacement.replicasOf(id, excluded) (same ids as above).
    assertEquals(List.of("node-5", "node-1", "node-4"),
        placement.replicasOf(ChunkId.ofContent("chunk-0".getBytes(StandardCharsets.UTF_8))));
  }
}
