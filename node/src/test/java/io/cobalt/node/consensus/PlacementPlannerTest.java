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

  // ---- node join and rebalancing, meta voters (ADR 0029) ----

  private static java.util.Map<String, Integer> load(PlacementMap m) {
    java.util.Map<String, Integer> load = new java.util.TreeMap<>();
    m.getPartitionsList().forEach(v -> v.getNodeIdsList().forEach(id -> load.merge(id, 1, Integer::sum)));
    return load;
  }

  @Test
  void aJoinedNodeIsGivenVotersOneMoveAtATimeUntilTheLoadsDifferByAtMostOne() {
    List<ClusterPeer> three = List.of(peer("a"), peer("b"), peer("c"));
    PlacementMap m = PartitionGroups.initialMap(three, 8, 3);
    List<ClusterPeer> four = List.of(peer("a"), peer("b"), peer("c"), peer("d"));
    Set<String> live = Set.of("a", "b", "c", "d");
    int moves = 0;
    while (true) {
      Optional<PlacementPlanner.Replacement> step = PlacementPlanner.rebalance(m, four, live, 2);
      if (step.isEmpty()) {
        break;
      }
      PlacementPlanner.Replacement r = step.get();
      assertEquals("d", r.added(), "the empty node gains");
      assertEquals(m.getVersion() + 1, r.next().getVersion());
      List<String> before = m.getPartitions(r.partition()).getNodeIdsList();
      List<String> after = r.next().getPartitions(r.partition()).getNodeIdsList();
      assertEquals(before.indexOf(r.removed()), after.indexOf(r.added()), "the new voter takes the old one's place");
      assertEquals(3, new java.util.HashSet<>(after).size(), "distinct voters");
      // Deterministic: the same map plans the same move.
      assertEquals(r, PlacementPlanner.rebalance(m, four, live, 2).orElseThrow());
      m = r.next();
      moves++;
      assertTrue(moves <= 8, "converges");
    }
    assertEquals(6, moves, "24 voter slots: 8, 8, 8, 0 become 6, 6, 6, 6");
    assertEquals(java.util.Map.of("a", 6, "b", 6, "c", 6, "d", 6), load(m));
  }

  @Test
  void nothingMovesWhileAVoterIsDownOrTheLoadsDifferByLessThanTwo() {
    List<ClusterPeer> four = List.of(peer("a"), peer("b"), peer("c"), peer("d"));
    PlacementMap m = PartitionGroups.initialMap(List.of(peer("a"), peer("b"), peer("c")), 8, 3);
    assertTrue(PlacementPlanner.rebalance(m, four, Set.of("a", "b", "d"), 2).isEmpty(), "c votes and is down");
    // d is known but not live: not a candidate, and the others are even.
    assertTrue(PlacementPlanner.rebalance(m, four, Set.of("a", "b", "c"), 2).isEmpty());
    PlacementMap even = map(3, List.of(List.of("a", "b", "c"), List.of("d", "a", "b"), List.of("c", "d", "a")));
    // loads a 3, b 2, c 2, d 2: skew 1
    assertTrue(PlacementPlanner.rebalance(even, four, Set.of("a", "b", "c", "d"), 2).isEmpty());
  }

  @Test
  void aGoneMetaVoterIsReplacedByTheFirstLiveNonVoterInRendezvousOrderOfMeta() {
    PlacementMap m = map(4, List.of(List.of("a", "b", "c")));
    List<String> metaVoters = List.of("a", "b", "c");
    Set<String> live = Set.of("a", "b", "d", "e");
    PlacementPlanner.MetaReplacement r =
        PlacementPlanner.nextMeta(m, metaVoters, PEERS, live, Set.of("c")).orElseThrow();
    assertEquals("c", r.removed());
    String expected = PartitionGroups.rank(List.of(peer("d"), peer("e")), "meta").get(0).nodeId();
    assertEquals(expected, r.added());
    assertEquals(List.of("a", "b", expected), r.next().getMetaVotersList());
    assertEquals(5, r.next().getVersion());
    assertEquals(m.getPartitionsList(), r.next().getPartitionsList(), "partitions untouched");
    // Without a live majority, or with nobody gone, nothing.
    assertTrue(PlacementPlanner.nextMeta(m, metaVoters, PEERS, Set.of("a", "d", "e"), Set.of("b", "c")).isEmpty());
    assertTrue(PlacementPlanner.nextMeta(m, metaVoters, PEERS, Set.of("a", "b", "c"), Set.of("d")).isEmpty());
  }

  // ---- replacement before rebalancing, failed steps after the others (ADR 0037) ----

  @Test
  void rebalancingIsNotPlannedWhileAGroupIsShortOfLiveVoters() {
    List<ClusterPeer> four = PEERS.subList(0, 4);
    Set<String> all = Set.of("a", "b", "c", "d");
    // uneven (d has no voter): a move would be planned ...
    PlacementMap m = map(3, List.of(List.of("a", "b", "c"), List.of("a", "b", "c"), List.of("a", "b", "c")));
    assertTrue(PlacementPlanner.rebalance(m, List.of("a", "b", "c"), four, all, 2).isPresent());
    // ... but not while a meta voter is not live (d is live, but c, a meta voter, is not) ...
    assertTrue(PlacementPlanner.rebalance(m, List.of("a", "b", "c"), four, Set.of("a", "b", "d"), 2).isEmpty());
    // ... nor while a meta voter is unknown to the membership at all
    assertTrue(PlacementPlanner.rebalance(m, List.of("a", "b", "e"), four, all, 2).isEmpty());
    // ... nor while a partition has fewer voters than the others
    PlacementMap shortOne = map(3, List.of(List.of("a", "b", "c"), List.of("a", "b"), List.of("a", "b", "c")));
    assertTrue(PlacementPlanner.rebalance(shortOne, List.of("a", "b", "c"), four, all, 2).isEmpty());
  }

  @Test
  void whetherEveryNodeHasBeenPresentLongEnoughForRebalancing() {
    PlacementPlanner planner = new PlacementPlanner();
    Set<String> all = Set.of("a", "b", "c", "d", "e");
    planner.observe(PEERS, all, 1_000, 500);
    assertEquals(Long.MAX_VALUE, planner.allPresentForMillis(1_000), "no node absent yet");
    planner.observe(PEERS, Set.of("a", "b", "c", "d"), 2_000, 500);
    assertEquals(0, planner.allPresentForMillis(2_000));
    planner.observe(PEERS, all, 2_100, 500);
    assertEquals(1_000, planner.allPresentForMillis(3_000), "counted from the last round that saw e absent");
  }

  @Test
  void skippedPartitionsAreLeftForLater() {
    PlacementMap m = map(7, List.of(List.of("a", "b", "c"), List.of("c", "d", "e"), List.of("a", "c", "d")));
    Set<String> live = Set.of("a", "b", "d", "e");
    assertEquals(0, PlacementPlanner.next(m, PEERS, live, Set.of("c")).orElseThrow().partition());
    assertEquals(1, PlacementPlanner.next(m, PEERS, live, Set.of("c"), Set.of(0)).orElseThrow().partition());
    assertTrue(PlacementPlanner.next(m, PEERS, live, Set.of("c"), Set.of(0, 1, 2)).isEmpty());
  }
}
