/**
 * Where a key lives: fixed logical partitions by a stable hash, the Raft voters of a partition and
 * the replica nodes of a chunk by rendezvous hashing ({@link io.cobalt.gateway.placement.RendezvousPlacement}),
 * and the routing of metadata commands/queries to a partition's voters, moving to the next voter
 * when one is unavailable ({@link io.cobalt.gateway.placement.MetadataRouter}).
 */
package io.cobalt.gateway.placement;
