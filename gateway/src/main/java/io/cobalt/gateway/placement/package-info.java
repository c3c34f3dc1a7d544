/**
 * Where a key lives: fixed logical partitions by a stable hash, the owner node of a partition and
 * the replica nodes of a chunk by rendezvous hashing ({@link io.cobalt.gateway.placement.RendezvousPlacement}),
 * and the routing of metadata commands/queries to partition owners
 * ({@link io.cobalt.gateway.placement.MetadataRouter}). Raft groups replace the owner rule later.
 */
package io.cobalt.gateway.placement;
