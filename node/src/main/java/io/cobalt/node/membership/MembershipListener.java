package io.cobalt.node.membership;

/**
 * Told when members join and leave. The calls for the members present at registration run on the
 * registering thread, inside {@link Membership#addListener}; later ones on the implementation's
 * event threads (Hazelcast: {@code hz.cobalt-<nodeId>.event-N}). Either way: return quickly and
 * never block (hand longer work to your own executor).
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
