/**
 * Chunk healing (ADR 0010): the durable repair queue and its worker, anti-entropy over the
 * manifests of the partitions this node leads, the throttled scrubber of the local chunk store, and
 * the delayed chunk GC. Everything runs on the node's {@code node-<id>-heal-N} threads, never on a
 * gRPC or Ratis thread. Talks to peers only through {@link io.cobalt.node.healing.PeerChunks} (its
 * gRPC implementation lives in {@code io.cobalt.node.rpc}).
 */
package io.cobalt.node.healing;
