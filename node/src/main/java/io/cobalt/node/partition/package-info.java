/**
 * Partition state machines: metadata commands (protobuf {@code MetadataCommand}) go through a
 * {@link io.cobalt.node.partition.CommandLog}, which orders them per partition and hands each to
 * {@link io.cobalt.node.partition.PartitionStateMachine#apply(long, io.cobalt.proto.node.v1.MetadataCommand)}
 * with its index. Today the log is {@link io.cobalt.node.partition.LocalCommandLog}; the Raft issue
 * replaces it with one Ratis group per partition whose {@code applyTransaction} calls the same
 * {@code apply}, which is why {@code apply} is deterministic.
 */
package io.cobalt.node.partition;
