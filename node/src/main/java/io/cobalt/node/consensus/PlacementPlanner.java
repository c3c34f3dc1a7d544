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
  /** When {@link #observe} last saw a node absent; none yet: {@code Long.MIN_VALUE}. */
  private long lastAbsentMillis = Long.MIN_VALUE;

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
        lastAbsentMillis = nowMillis;
        long since = absentSince.computeIfAbsent(id, k -> nowMillis);
        if (nowMillis - since >= graceMillis) {
          gone.add(id);
        }
      }
    }
    return gone;
  }

  /**
   * How long every node has been present in the membership, as seen by {@link #observe}, at
   * {@code nowMillis}: 0 while one is absent, {@code Long.MAX_VALUE} if none has been absent yet.
   * Rebalancing waits on it (ADR 0037): a node that has just come back still catches up.
   */
  long allPresentForMillis(long nowMillis) {
    return lastAbsentMillis == Long.MIN_VALUE ? Long.MAX_VALUE : Math.max(0, nowMillis - lastAbsentMillis);
  }

  /** The next replacement, if any partition has a gone voter and a live node can take its place. */
  static Optional<Replacement> next(PlacementMap map, List<ClusterPeer> peers, Set<String> live, Set<String> gone) {
    return next(map, peers, live, gone, Set.of());
  }

  /** The same, skipping the partitions in {@code skipped} (their last step failed, ADR 0037). */
  static Optional<Replacement> next(PlacementMap map, List<ClusterPeer> peers, Set<String> live, Set<String> gone,
      Set<Integer> skipped) {
    for (int p = 0; p < map.getPartitionsCount(); p++) {
      if (skipped.contains(p)) {
        continue;
      }
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

  // ---- node join and rebalancing, meta voters (ADR 0029) ----

  /**
   * The next rebalancing move, if the cluster is uneven: while the live node with the most voter
   * slots has at least {@code minSkew} (2) more than the live node with the fewest, one voter of
   * the lowest partition where the most-loaded node votes and the least-loaded does not moves to
   * the least-loaded (it takes the removed voter's position). Ties: the lower node id is "most" and
   * "least" loaded. Nothing moves while any voter of the map is not live (replacement comes first,
   * and a move must not take a group's majority below what it needs) or a node is gone.
   *
   * @param nodes every node the map knows (configured and joined)
   */
  static Optional<Replacement> rebalance(PlacementMap map, List<ClusterPeer> nodes, Set<String> live, int minSkew) {
    return rebalance(map, List.of(), nodes, live, minSkew);
  }

  /**
   * The same, and nothing moves while a voter of the meta group ({@code metaVoters}) is not live
   * either, or a partition has fewer voters than the most any partition has (ADR 0037: replacement
   * first, rebalancing after).
   */
  static Optional<Replacement> rebalance(PlacementMap map, List<String> metaVoters, List<ClusterPeer> nodes,
      Set<String> live, int minSkew) {
    if (!live.containsAll(metaVoters)) {
      return Optional.empty();
    }
    int factor = map.getPartitionsList().stream().mapToInt(PartitionVoters::getNodeIdsCount).max().orElse(0);
    if (map.getPartitionsList().stream().anyMatch(v -> v.getNodeIdsCount() < factor)) {
      return Optional.empty();
    }
    java.util.TreeMap<String, Integer> load = new java.util.TreeMap<>();
    for (ClusterPeer n : nodes) {
      if (live.contains(n.nodeId())) {
        load.put(n.nodeId(), 0);
      }
    }
    for (PartitionVoters v : map.getPartitionsList()) {
      for (String id : v.getNodeIdsList()) {
        if (!load.containsKey(id)) {
          return Optional.empty(); // a voter is not live (or unknown): leave it to replacement
        }
        load.merge(id, 1, Integer::sum);
      }
    }
    if (load.size() < 2) {
      return Optional.empty();
    }
    String most = null;
    String least = null;
    for (Map.Entry<String, Integer> e : load.entrySet()) { // ascending ids: ties keep the lower id
      if (most == null || e.getValue() > load.get(most)) {
        most = e.getKey();
      }
      if (least == null || e.getValue() < load.get(least)) {
        least = e.getKey();
      }
    }
    if (load.get(most) - load.get(least) < minSkew) {
      return Optional.empty();
    }
    for (int p = 0; p < map.getPartitionsCount(); p++) {
      List<String> voters = map.getPartitions(p).getNodeIdsList();
      if (voters.contains(most) && !voters.contains(least)) {
        List<String> nextVoters = new ArrayList<>(voters);
        nextVoters.set(nextVoters.indexOf(most), least);
        PlacementMap next = map.toBuilder()
            .setVersion(map.getVersion() + 1)
            .setPartitions(p, PartitionVoters.newBuilder().addAllNodeIds(nextVoters))
            .build();
        return Optional.of(new Replacement(p, most, least, next));
      }
    }
    return Optional.empty(); // unreachable while most has more slots than least
  }

  /** One step of the meta group's own voters: {@code added} replaces {@code removed}. */
  record MetaReplacement(String removed, String added, PlacementMap next) {}

  /**
   * The next replacement of a gone meta voter, if the meta group still has a live majority: the
   * new voter is the first live node, not already a meta voter, in rendezvous order of
   * {@code "meta"} over every known node; it takes the gone voter's position. The map's
   * {@code meta_voters} records the result (so every node, and a restart, knows the meta group).
   */
  static Optional<MetaReplacement> nextMeta(PlacementMap map, List<String> metaVoters, List<ClusterPeer> nodes,
      Set<String> live, Set<String> gone) {
    String removed = metaVoters.stream().filter(gone::contains).findFirst().orElse(null);
    if (removed == null) {
      return Optional.empty();
    }
    long liveVoters = metaVoters.stream().filter(live::contains).count();
    if (liveVoters * 2 <= metaVoters.size()) {
      return Optional.empty();
    }
    List<ClusterPeer> candidates = new ArrayList<>();
    for (ClusterPeer n : nodes) {
      if (live.contains(n.nodeId()) && !metaVoters.contains(n.nodeId())) {
        candidates.add(n);
      }
    }
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    String added = PartitionGroups.rank(candidates, "meta").get(0).nodeId();
    List<String> next = new ArrayList<>(metaVoters);
    next.set(next.indexOf(removed), added);
    return Optional.of(new MetaReplacement(removed, added,
        map.toBuilder().setVersion(map.getVersion() + 1).clearMetaVoters().addAllMetaVoters(next).build()));
  }
}
