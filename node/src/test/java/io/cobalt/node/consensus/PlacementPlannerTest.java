package io.cobalt.node.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.node.ClusterPeer;
import io.cobalt.proto.node.v1.PartitionVoters;
import io.cobalt.proto.node.v1.PlacementMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementPlannerTest {
  private static final List<ClusterPeer> PEERS = List.of(peer("a"), peer("b"), peer("c"), peer("d"), peer("e"));

  private static ClusterPeer peer(String id) {
    return new ClusterPeer(id, "127.0.0.1", 1000 + id.charAt(0));
  }

  private static PlacementMap map(long version, List<List<String>> voters) {
    PlacementMap.Builder b = PlacementMap.newBuilder().setVersion(version);
    voters.forEach(v -> b.addPartitions(PartitionVoters.newBuilder().addAllNodeIds(v)));
    return b.build();
  }

  @Test
  void theInitialMapIsTheRendezvousChoiceAtVersionOne() {
    PlacementMap m = PartitionGroups.initialMap(PEERS, 16, 3);
    assertEquals(1, m.getVersion());
    assertEquals(16, m.getPartitionsCount());
    for (int p = 0; p < 16; p++) {
      List<String> expected = PartitionGroups.rank(PEERS, p).subList(0, 3).stream().map(ClusterPeer::nodeId).toList();
      assertEquals(expected, m.getPartitions(p).getNodeIdsList());
    }
  }

  @Test
  void aNodeIsGoneOnlyAfterItHasBeenAbsentForTheGracePeriod() {
    PlacementPlanner planner = new PlacementPlanner();
    Set<String> withoutC = Set.of("a", "b", "d", "e");
    assertEquals(Set.of(), planner.observe(PEERS, withoutC, 1_000, 500));
    assertEquals(Set.of(), planner.observe(PEERS, withoutC, 1_499, 500));
    assertEquals(Set.of("c"), planner.observe(PEERS, withoutC, 1_500, 500));
    // Back in the membership: the clock starts again on the next absence.
    assertEquals(Set.of(), planner.observe(PEERS, Set.of("a", "b", "c", "d", "e"), 1_600, 500));
    assertEquals(Set.of(), planner.observe(PEERS, withoutC, 1_700, 500));
    assertEquals(Set.of("c"), planner.observe(PEERS, withoutC, 2_200, 500));
  }

  @Test
  void theGoneVoterOfTheFirstAffectedPartitionIsReplacedByTheFirstLiveNonVoterInRendezvousOrder() {
    PlacementMap m = map(7, List.of(List.of("a", "b", "d"), List.of("c", "a", "b"), List.of("c", "d", "e")));
    Set<String> live = Set.of("a", "b", "d", "e");
    Optional<PlacementPlanner.Replacement> step = PlacementPlanner.next(m, PEERS, live, Set.of("c"));
    assertTrue(step.isPresent());
    PlacementPlanner.Replacement r = step.get();
    assertEquals(1, r.partition());
    assertEquals("c", r.removed());
    List<ClusterPeer> candidates = new ArrayList<>();
    for (ClusterPeer p : PEERS) {
      if (p.nodeId().equals("d") || p.nodeId().equals("e")) {
        candidates.add(p);
      }
    }
    String expected = PartitionGroups.rank(candidates, 1).get(0).nodeId();
    assertEquals(expected, r.added());
    assertEquals(8, r.next().getVersion());
    assertEquals(List.of(expected, "a", "b"), r.next().getPartitions(1).getNodeIdsList(), "takes the gone voter's place");
    assertEquals(m.getPartitions(0), r.next().getPartitions(0));
    assertEquals(m.getPartitions(2), r.next().getPartitions(2));
    // Deterministic: the same inputs give the same step.
    assertEquals(r, PlacementPlanner.next(m, PEERS, live, Set.of("c")).orElseThrow());
  }

  @Test
  void aPartitionWithoutALiveMajorityOrWithoutACandidateIsLeftAlone() {
    // Partition 0 lost two of three voters: no majority, it cannot change its configuration.
    PlacementMap m = map(3, List.of(List.of("a", "b", "c")));
    assertTrue(PlacementPlanner.next(m, PEERS, Set.of("a", "d", "e"), Set.of("b", "c")).isEmpty());
    // Every live node is already a voter: nobody to take the place.
    List<ClusterPeer> three = PEERS.subList(0, 3);
    assertTrue(PlacementPlanner.next(m, three, Set.of("a", "b"), Set.of("c")).isEmpty());
    // Nothing gone: nothing to do.
    assertTrue(PlacementPlanner.next(m, PEERS, Set.of("a", "b", "c"), Set.of()).isEmpty());
  }
}
