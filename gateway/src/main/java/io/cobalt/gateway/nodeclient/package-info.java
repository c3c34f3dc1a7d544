/**
 * Outbound calls to the storage nodes: the {@link io.cobalt.gateway.nodeclient.ChunkClient} and
 * {@link io.cobalt.gateway.nodeclient.MetadataClient} interfaces, their gRPC (mTLS) implementations,
 * and the replicated chunk writer/reader (write quorum, read fail-over) built on them. Only the
 * {@code Grpc*} classes here import {@code io.grpc}.
 */
package io.cobalt.gateway.nodeclient;
