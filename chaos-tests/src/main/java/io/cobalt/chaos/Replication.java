package io.cobalt.chaos;

import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PartitionGroupStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether the cluster holds its replication factor, judged from the nodes' own status replies
 * (the NodeAdmin RPC behind {@code cobalt admin cluster status}). Pure, so it tests with hand-built
 * statuses.
 *
 * <p>A partition is <b>fully replicated</b> when the newest placement map any answering node knows
 * (ADR 0021; without a map: the voters the nodes report) gives it at least {@code rf} voters, every
 * one of them answered and runs the group as leader or follower, one of them leads, and none has
 * applied more than {@code maxLag} entries less than the leader's commit index. <b>Chunks</b> are
 * fully replicated when every answering node with healing on has finished an anti-entropy pass that
 * started after {@code sinceEpochMillis}, none of those passes found a replica missing, and no
 * repair is waiting. Anti-entropy skips a node that does not answer, so while a node is down its
 * missing replicas are not counted: the chunk figure means something once every node is back.
 */
public final class Replication {
  /** The verdict: partitions short of {@code rf} live, current voters (their numbers), and the chunk side. */
  public record State(List<Integer> underReplicatedPartitions, List<Integer> leaderlessPartitions, long placementVersion,
      boolean chunkPassesDone, long missingChunkReplicas, long repairBacklog) {
    public boolean partitionsFull() {
      return underReplicatedPartitions.isEmpty() && leaderlessPartitions.isEmpty();
    }

    public boolean chunksFull() {
      return chunkPassesDone && missingChunkReplicas == 0 && repairBacklog == 0;
    }
  }

  private Replication() {}

  /**
   * @param answered the status of every node that answered, by node id
   * @param partitions the cluster's partition count
   * @param rf voters each partition should have
   * @param maxLag log entries a voter may be behind
   * @param sinceEpochMillis anti-entropy passes must have ended after this (and after an interval
   *     that started after it: callers pass the event time plus one interval)
   */
  public static State assess(Map<String, NodeStatus> answered, int partitions, int rf, long maxLag,
      long sinceEpochMillis) {
    NodeStatus newest = null;
    for (NodeStatus s : answered.values()) {
      if (newest == null || s.getPlacementVersion() > newest.getPlacementVersion()) {
        newest = s;
      }
    }
    long version = newest == null ? 0 : newest.getPlacementVersion();
    List<Integer> under = new ArrayList<>();
    List<Integer> leaderless = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      Set<String> voters = new TreeSet<>();
      if (newest != null && newest.hasPlacement() && p < newest.getPlacement().getPartitionsCount()) {
        voters.addAll(newest.getPlacement().getPartitions(p).getNodeIdsList());
      } else {
        for (NodeStatus s : answered.values()) {
          PartitionGroupStatus g = group(s, p);
          if (g != null) {
            voters.addAll(g.getVotersList());
          }
        }
      }
      boolean full = voters.size() >= rf;
      PartitionGroupStatus leader = null;
      for (String v : voters) {
        NodeStatus s = answered.get(v);
        PartitionGroupStatus g = s == null ? null : group(s, p);
        if (g == null || !(g.getRole().equals("LEADER") || g.getRole().equals("FOLLOWER"))) {
          full = false;
        } else if (g.getRole().equals("LEADER")) {
          leader = g;
        }
      }
      if (leader == null) {
        leaderless.add(p);
        full = false;
      } else {
        for (String v : voters) {
          PartitionGroupStatus g = answered.get(v) == null ? null : group(answered.get(v), p);
          if (g != null && leader.getCommitIndex() - g.getAppliedIndex() > maxLag) {
            full = false;
          }
        }
      }
      if (!full) {
        under.add(p);
      }
    }
    boolean passes = !answered.isEmpty();
    long missing = 0;
    long backlog = 0;
    for (NodeStatus s : answered.values()) {
      backlog += s.getRepairBacklog();
      if (s.getHeal().getEnabled()) {
        if (s.getHeal().getAntiEntropyLastPassEpochMillis() <= sinceEpochMillis) {
          passes = false;
        }
        missing += s.getHeal().getAntiEntropyUnderReplicated();
      }
    }
    return new State(List.copyOf(under), List.copyOf(leaderless), version, passes, missing, backlog);
  }

  private static PartitionGroupStatus group(NodeStatus s, int p) {
    for (PartitionGroupStatus g : s.getPartitionsList()) {
      if (g.getPartition() == p) {
        return g;
      }
    }
    return null;
  }
}
