/**
 * Membership: which nodes are in the cluster now, and how to reach them. A Hazelcast-free API
 * ({@link io.cobalt.node.membership.Membership}, {@link io.cobalt.node.membership.ClusterMember},
 * {@link io.cobalt.node.membership.MembershipListener}, {@link io.cobalt.node.membership.MembershipConfig});
 * the one implementation, on the open-source edition of Hazelcast, is in the {@code hazelcast}
 * subpackage, the only package that imports {@code com.hazelcast}.
 *
 * <p>Membership supplies hints (who is up, where its gRPC and Raft ports are, which zone it is in).
 * It never carries customer data, keys or secrets, and it never decides who may write: Raft does
 * (docs/adr/0006-hazelcast-membership-only.md).
 */
package io.cobalt.node.membership;
