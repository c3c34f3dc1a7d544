package io.cobalt.node.consensus;

import java.util.Map;

/**
 * One partition group's Raft state as one node sees it: for health checks, {@code cobalt admin
 * cluster status} and tests that wait for a restarted node to catch up.
 *
 * @param partition the partition number
 * @param role LEADER, FOLLOWER, CANDIDATE, LISTENER, or UNKNOWN if the division is not running
 * @param leader the leader this node knows, or empty
 * @param term the current term
 * @param commitIndex the highest log index this node knows to be committed
 * @param appliedIndex the highest log index applied to this node's state machine
 * @param peerCommitIndex on a leader, each voter's commit index as last reported to it (itself
 *     included); empty elsewhere
 * @param snapshotIndex the log index of this node's latest snapshot of the group, -1 if none
 * @param logStartIndex the first index still in this node's log (after purges)
 */
public record GroupStatus(
    int partition,
    String role,
    String leader,
    long term,
    long commitIndex,
    long appliedIndex,
    Map<String, Long> peerCommitIndex,
    long snapshotIndex,
    long logStartIndex) {

  public GroupStatus {
    peerCommitIndex = Map.copyOf(peerCommitIndex);
  }

  public boolean isLeader() {
    return "LEADER".equals(role);
  }
}
