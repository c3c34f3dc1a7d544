package io.cobalt.node.membership;

/**
 * Told when members join and leave. Runs on the membership implementation's event thread: return
 * quickly and never block (hand longer work to your own executor).
 *
 * <p>"Left" means the member shut down or was declared dead by failure detection; it is a hint,
 * not a proof (a paused node may come back). A node that restarts quickly may be reported as joined
 * (new incarnation) before its old incarnation is reported as left; {@link Membership#members()}
 * is the current view.
 */
public interface MembershipListener {
  /** {@code member} is in the cluster (including, on registration, every member already there). */
  default void joined(ClusterMember member) {}

  /** {@code member} is no longer in the cluster. */
  default void left(ClusterMember member) {}
}
