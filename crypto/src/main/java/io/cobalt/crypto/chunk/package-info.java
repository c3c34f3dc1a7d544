/**
 * The v1 chunk format: a self-describing streaming AEAD (48-byte header, 64 KiB AES-256-GCM
 * segments, chunk key derived with HKDF-SHA256 from the DEK, a random salt and the chunk's
 * identity). Byte layout, checks and attacks: docs/encryption-format.md. Other modules use
 * {@link io.cobalt.crypto.chunk.ChunkSealer}, {@link io.cobalt.crypto.chunk.ChunkOpener} and
 * {@link io.cobalt.crypto.chunk.ChunkFormat}'s length arithmetic.
 */
package io.cobalt.crypto.chunk;
