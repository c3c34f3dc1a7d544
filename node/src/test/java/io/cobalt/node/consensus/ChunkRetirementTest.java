package io.cobalt.node.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.cobalt.proto.node.v1.PartitionVoters;
import io.cobalt.proto.node.v1.PlacementMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which nodes the placement map retires from chunk placement, and re-admission (ADR 0028). */
class ChunkRetirementTest {
  private static final List<String> FIVE = List.of("node-0", "node-1", "node-2", "node-3", "node-4");

  private static PlacementMap map(long version, String... retired) {
    return PlacementMap.newBuilder().setVersion(version)
        .addPartitions(PartitionVoters.newBuilder().addNodeIds("node-0").addNodeIds("node-1").addNodeIds("node-2"))
        .addAllRetiredNodeIds(List.of(retired)).build();
  }

  @Test
  void goneNodesAreRetiredInNodeIdOrderKeepingTheVersion() {
    PlacementMap out = ChunkRetirement.withRetired(map(4), FIVE, Set.of("node-3", "node-1"));
    assertEquals(List.of("node-1", "node-3"), out.getRetiredNodeIdsList());
    assertEquals(4, out.getVersion(), "the caller's version (a replacement's, or its own next one)");
    assertEquals(map(4).getPartitionsList(), out.getPartitionsList());
  }

  @Test
  void anAlreadyRetiredOrUnknownNodeChangesNothing() {
    PlacementMap m = map(4, "node-1");
    assertSame(m, ChunkRetirement.withRetired(m, FIVE, Set.of("node-1", "node-9")));
    assertEquals(List.of("node-1", "node-2"),
        ChunkRetirement.withRetired(m, FIVE, Set.of("node-1", "node-2")).getRetiredNodeIdsList());
  }

  @Test
  void neverFewerThanThreeNodesLeftToPlaceChunksOn() {
    PlacementMap m = map(2);
    assertSame(m, ChunkRetirement.withRetired(m, FIVE.subList(0, 3), Set.of("node-0")),
        "3 nodes: nowhere to move a chunk to");
    PlacementMap out = ChunkRetirement.withRetired(map(2), FIVE, Set.of("node-4", "node-3", "node-2"));
    assertEquals(List.of("node-2", "node-3"), out.getRetiredNodeIdsList(), "5 nodes: at most 2 retired");
  }

  @Test
  void readmissionIsTheNextVersionWithoutTheNode() {
    PlacementMap next = ChunkRetirement.readmitted(map(7, "node-3", "node-1"), "node-3");
    assertEquals(8, next.getVersion());
    assertEquals(List.of("node-1"), next.getRetiredNodeIdsList());
    assertNull(ChunkRetirement.readmitted(map(7, "node-1"), "node-3"), "node-3 is not retired");
  }
}
