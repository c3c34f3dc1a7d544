/**
 * The node's gRPC surface (the only package that imports {@code io.grpc}): the mTLS server,
 * {@code ChunkService}, {@code MetadataService} and {@code NodeAdmin} (read-only node status for
 * operators) adapters, the in-flight call limit and the catalogue of wire status codes.
 */
package io.cobalt.node.rpc;
