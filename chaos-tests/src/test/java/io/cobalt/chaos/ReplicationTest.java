package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.proto.node.v1.HealStatus;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PartitionGroupStatus;
import io.cobalt.proto.node.v1.PartitionVoters;
import io.cobalt.proto.node.v1.PlacementMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link Replication#assess} on hand-built node statuses: 4 nodes, 2 partitions, RF 3. */
class ReplicationTest {
  private static PlacementMap map(long version, List<List<String>> voters) {
    PlacementMap.Builder m = PlacementMap.newBuilder().setVersion(version);
    voters.forEach(v -> m.addPartitions(PartitionVoters.newBuilder().addAllNodeIds(v)));
    return m.build();
  }

  /** A node's status: for each partition it votes in, its role, and the applied index. */
  private static NodeStatus node(String id, PlacementMap map, Map<Integer, String> roles, long applied, HealStatus heal) {
    NodeStatus.Builder b = NodeStatus.newBuilder().setNodeId(id).setPlacementVersion(map.getVersion()).setPlacement(map)
        .setHeal(heal);
    roles.forEach((p, role) -> b.addPartitions(PartitionGroupStatus.newBuilder().setPartition(p).setRole(role)
        .setCommitIndex(100).setAppliedIndex(applied).addAllVoters(map.getPartitions(p).getNodeIdsList())));
    return b.build();
  }

  private static final HealStatus OFF = HealStatus.getDefaultInstance();

  @Test
  void aLostVoterLeavesItsPartitionsUnderReplicatedUntilTheMapReplacesIt() {
    PlacementMap v1 = map(1, List.of(List.of("n1", "n2", "n3"), List.of("n2", "n3", "n4")));
    Map<String, NodeStatus> all = new TreeMap<>();
    all.put("n1", node("n1", v1, Map.of(0, "LEADER"), 100, OFF));
    all.put("n2", node("n2", v1, Map.of(0, "FOLLOWER", 1, "LEADER"), 100, OFF));
    all.put("n3", node("n3", v1, Map.of(0, "FOLLOWER", 1, "FOLLOWER"), 100, OFF));
    all.put("n4", node("n4", v1, Map.of(1, "FOLLOWER"), 100, OFF));
    assertTrue(Replication.assess(all, 2, 3, 100, 0).partitionsFull());

    all.remove("n1"); // killed: partition 0 lost a voter and its leader
    Replication.State down = Replication.assess(all, 2, 3, 100, 0);
    assertEquals(List.of(0), down.underReplicatedPartitions());
    assertEquals(List.of(0), down.leaderlessPartitions());

    // n4 replaced n1 in partition 0 (map version 2), but is still catching up: 150 entries behind.
    PlacementMap v2 = map(2, List.of(List.of("n4", "n2", "n3"), List.of("n2", "n3", "n4")));
    all.put("n2", node("n2", v2, Map.of(0, "LEADER", 1, "LEADER"), 100, OFF));
    all.put("n4", node("n4", v1, Map.of(0, "FOLLOWER", 1, "FOLLOWER"), -50, OFF));
    Replication.State catching = Replication.assess(all, 2, 3, 100, 0);
    assertEquals(2, catching.placementVersion(), "the newest map any node knows counts");
    assertEquals(List.of(0, 1), catching.underReplicatedPartitions());
    assertTrue(catching.leaderlessPartitions().isEmpty());

    all.put("n4", node("n4", v2, Map.of(0, "FOLLOWER", 1, "FOLLOWER"), 100, OFF));
    assertTrue(Replication.assess(all, 2, 3, 100, 0).partitionsFull(), "3 live voters again, none lagging");

    // Only 2 voters in the map: short of RF even when both are live.
    all.put("n2", node("n2", map(3, List.of(List.of("n2", "n3"), List.of("n2", "n3", "n4"))),
        Map.of(0, "LEADER", 1, "LEADER"), 100, OFF));
    assertEquals(List.of(0), Replication.assess(all, 2, 3, 100, 0).underReplicatedPartitions());
  }

  @Test
  void chunksAreCompleteOnlyAfterAFreshAntiEntropyPassOnEveryNodeFindsNothingMissing() {
    PlacementMap v1 = map(1, List.of(List.of("n1", "n2", "n3")));
    HealStatus fresh = HealStatus.newBuilder().setEnabled(true).setAntiEntropyLastPassEpochMillis(2_000).build();
    HealStatus old = HealStatus.newBuilder().setEnabled(true).setAntiEntropyLastPassEpochMillis(500).build();
    Map<String, NodeStatus> all = new TreeMap<>();
    all.put("n1", node("n1", v1, Map.of(0, "LEADER"), 100, fresh));
    all.put("n2", node("n2", v1, Map.of(0, "FOLLOWER"), 100, old));
    assertFalse(Replication.assess(all, 1, 3, 100, 1_000).chunksFull(), "n2's last pass is older than the event");
    all.put("n2", node("n2", v1, Map.of(0, "FOLLOWER"), 100, fresh.toBuilder().setAntiEntropyUnderReplicated(4).build()));
    Replication.State missing = Replication.assess(all, 1, 3, 100, 1_000);
    assertEquals(4, missing.missingChunkReplicas());
    assertFalse(missing.chunksFull());
    all.put("n2", node("n2", v1, Map.of(0, "FOLLOWER"), 100, fresh));
    all.put("n3", node("n3", v1, Map.of(0, "FOLLOWER"), 100, fresh).toBuilder().setRepairBacklog(2).build());
    assertFalse(Replication.assess(all, 1, 3, 100, 1_000).chunksFull(), "repairs still waiting");
    all.put("n3", node("n3", v1, Map.of(0, "FOLLOWER"), 100, fresh));
    assertTrue(Replication.assess(all, 1, 3, 100, 1_000).chunksFull());
  }
}
