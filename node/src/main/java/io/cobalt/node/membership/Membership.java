package io.cobalt.node.membership;

import java.util.List;

/**
 * This node's view of the cluster's members. Started by {@code NodeServer} once its gRPC server is
 * serving; closed (the node leaves the cluster) before the node stops.
 */
public interface Membership extends AutoCloseable {
  /** What this node announced about itself. */
  ClusterMember self();

  /**
   * The members now, this node included, oldest first (the first is the member that may propose
   * placement changes; only the meta Raft group's commits count). A snapshot: it does not change
   * after it is returned.
   */
  List<ClusterMember> members();

  /**
   * Registers {@code listener}: it is first told {@link MembershipListener#joined} for every
   * current member, then about every change, with no gap between the two.
   *
   * @return closes the registration (the listener is told nothing more)
   */
  Registration addListener(MembershipListener listener);

  /** Leaves the cluster (the other members are told at once). Idempotent. */
  @Override
  void close();

  /** A listener registration; closing it removes the listener. */
  interface Registration extends AutoCloseable {
    @Override
    void close();
  }
}
