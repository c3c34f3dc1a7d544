package io.cobalt.node.storage;

/**
 * A chunk's first-layer bytes (they hash to its id) and whether its replicas keep it under the
 * node-side infrastructure layer (docs/adr/0032): a repair copies both, so a double-encrypted
 * chunk stays double-encrypted on the node it is copied to.
 */
public record ChunkCopy(byte[] data, boolean infrastructureEncrypted) {}
