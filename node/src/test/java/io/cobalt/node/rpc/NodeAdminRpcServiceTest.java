package io.cobalt.node.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.node.consensus.GroupStatus;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PartitionGroupStatus;
import io.cobalt.proto.node.v1.PartitionVoters;
import io.cobalt.proto.node.v1.PlacementMap;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeAdminRpcServiceTest {
  private static final Instant STARTED = Instant.parse("2025-01-01T00:00:00Z");

  @Test
  void reportsEveryGroupFieldVotersAndUptimeFromTheInjectedClock() {
    GroupStatus leader = new GroupStatus(3, "LEADER", "node-2", 7, 41, 40,
        Map.of("node-1", 41L, "node-2", 41L, "node-3", 12L), 30, 5);
    GroupStatus unknown = new GroupStatus(4, "UNKNOWN", "", 0, -1, -1, Map.of(), -1, -1);
    NodeStatusSource source = new NodeStatusSource(Clock.fixed(STARTED.plusMillis(90_500), ZoneOffset.UTC), STARTED,
        () -> List.of(leader, unknown), p -> p == 3 ? List.of("node-1", "node-2", "node-3") : List.of());
    NodeStatus status = new NodeAdminRpcService("node-2", () -> "127.0.0.1:7001", source,
        new StatusCatalogue("node-2")).status();

    assertEquals("node-2", status.getNodeId());
    assertEquals("127.0.0.1:7001", status.getGrpcEndpoint());
    assertEquals(90_500, status.getUptimeMillis());
    assertEquals(0, status.getRepairBacklog(), "no repair queue exists yet");
    assertEquals(2, status.getPartitionsCount());
    PartitionGroupStatus p3 = status.getPartitions(0);
    assertEquals(3, p3.getPartition());
    assertEquals("LEADER", p3.getRole());
    assertEquals("node-2", p3.getLeader());
    assertEquals(7, p3.getTerm());
    assertEquals(41, p3.getCommitIndex());
    assertEquals(40, p3.getAppliedIndex());
    assertEquals(Map.of("node-1", 41L, "node-2", 41L, "node-3", 12L), p3.getPeerCommitIndexMap());
    assertEquals(30, p3.getSnapshotIndex());
    assertEquals(5, p3.getLogStartIndex());
    assertEquals(List.of("node-1", "node-2", "node-3"), p3.getVotersList());
    PartitionGroupStatus p4 = status.getPartitions(1);
    assertEquals("UNKNOWN", p4.getRole());
    assertEquals(-1, p4.getAppliedIndex());
    assertTrue(p4.getVotersList().isEmpty());
  }

  @Test
  void aStandaloneNodeReportsNoGroups() {
    NodeStatus status = new NodeAdminRpcService("solo", () -> "h:1",
        NodeStatusSource.standalone(Clock.fixed(STARTED, ZoneOffset.UTC), STARTED), new StatusCatalogue("solo"))
        .status();
    assertEquals(0, status.getPartitionsCount());
    assertEquals(0, status.getUptimeMillis());
    assertEquals(0, status.getPlacementVersion());
    assertFalse(status.hasPlacement(), "a standalone node has no placement map");
  }

  @Test
  void reportsThePlacementMapTheNodeKnows() {
    PlacementMap map = PlacementMap.newBuilder().setVersion(4)
        .addPartitions(PartitionVoters.newBuilder().addNodeIds("node-1").addNodeIds("node-4").addNodeIds("node-3"))
        .build();
    NodeStatusSource source = new NodeStatusSource(Clock.fixed(STARTED, ZoneOffset.UTC), STARTED, List::of,
        p -> List.of()).withPlacement(() -> map);
    NodeStatus status = new NodeAdminRpcService("node-1", () -> "h:1", source, new StatusCatalogue("node-1")).status();
    assertEquals(4, status.getPlacementVersion());
    assertEquals(map, status.getPlacement());
  }
}
