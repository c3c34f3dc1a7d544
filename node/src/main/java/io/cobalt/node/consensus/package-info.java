/**
 * Consensus: each metadata partition is a Raft group on Apache Ratis (the only package with
 * {@code org.apache.ratis} imports). {@link io.cobalt.node.consensus.RaftPartitionServer} runs the
 * node's Ratis server (mutual TLS with the cluster's certificates) hosting the groups of which the
 * node is a voter; {@code PartitionRaftStateMachine} applies each committed entry through the
 * Ratis-free {@link io.cobalt.node.partition.PartitionStateMachine}; and
 * {@link io.cobalt.node.consensus.RaftCommandLog} is the {@link io.cobalt.node.partition.CommandLog}
 * that the gRPC layer uses. Settings and their reasons: {@link io.cobalt.node.consensus.RaftSettings},
 * docs/adr/0004-raft-partitions.md.
 */
package io.cobalt.node.consensus;
