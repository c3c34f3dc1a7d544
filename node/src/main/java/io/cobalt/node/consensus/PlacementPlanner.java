package io.cobalt.node.consensus;

import io.cobalt.node.ClusterPeer;
import io.cobalt.proto.node.v1.PartitionVoters;
import io.cobalt.proto.node.v1.PlacementMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The placement controller's choices (ADR 0021), free of Raft so they can be tested alone: which
 * nodes count as gone, and the next single voter replacement.
 *
 * <p>A node is gone once it has been absent from the membership for at least the grace period.
 * The next replacement is in the lowest-numbered partition that has a gone voter and still a
 * majority of live voters (a group without a majority cannot change its configuration; that needs
 * an operator, DESIGN §6 "never auto-force a new config"). The new voter is the first live node in
 * rendezvous order of the partition's key that is not already a voter: deterministic, and the
 * same order the initial map used, so a returning cluster converges on the same choices. It takes
 * the gone voter's position in the map's voter list.
 */
final class PlacementPlanner {
  /** One step: in {@code partition}, {@code added} replaces {@code removed}; {@code next} is the map after it. */
  record Replacement(int partition, String removed, String added, PlacementMap next) {}

  private final Map<String, Long> absentSince = new HashMap<>();

  /**
   * Records who is live at {@code nowMillis}; returns the configured nodes absent for at least
   * {@code graceMillis}.
   */
  Set<String> observe(List<ClusterPeer> peers, Set<String> live, long nowMillis, long graceMillis) {
    Set<String> gone = new java.util.TreeSet<>();
    for (ClusterPeer peer : peers) {
      String id = peer.nodeId();
      if (live.contains(id)) {
        absentSince.remove(id);
      } else {
        long since = absentSince.computeIfAbsent(id, k -> nowMillis);
        if (nowMillis - since >= graceMillis) {
          gone.add(id);
        }
      }
    }
    return gone;
  }

  /** The next replacement, if any partition has a gone voter and a live node can take its place. */
  static Optional<Replacement> next(PlacementMap map, List<ClusterPeer> peers, Set<String> live, Set<String> gone) {
    for (int p = 0; p < map.getPartitionsCount(); p++) {
      List<String> voters = map.getPartitions(p).getNodeIdsList();
      String removed = voters.stream().filter(gone::contains).findFirst().orElse(null);
      if (removed == null) {
        continue;
      }
      long liveVoters = voters.stream().filter(live::contains).count();
      if (liveVoters * 2 <= voters.size()) {
        continue; // no majority: the group cannot commit a new configuration
      }
      List<ClusterPeer> candidates = new ArrayList<>();
      for (ClusterPeer peer : peers) {
        if (live.contains(peer.nodeId()) && !voters.contains(peer.nodeId())) {
          candidates.add(peer);
        }
      }
      if (candidates.isEmpty()) {
        continue;
      }
      String added = PartitionGroups.rank(candidates, p).get(0).nodeId();
      List<String> nextVoters = new ArrayList<>(voters);
      nextVoters.set(nextVoters.indexOf(removed), added);
      PlacementMap next = map.toBuilder()
          .setVersion(map.getVersion() + 1)
          .setPartitions(p, PartitionVoters.newBuilder().addAllNodeIds(nextVoters))
          .build();
      return Optional.of(new Replacement(p, removed, added, next));
    }
    return Optional.empty();
  }
}
