/**
 * Encryption of blob data at the gateway: data keys from the kms-agent ({@link
 * io.cobalt.gateway.encryption.KeyClient}, over gRPC in {@link
 * io.cobalt.gateway.encryption.KeyAgentClient}), chunk sealing/opening and the manifest MAC on the
 * crypto worker pool ({@link io.cobalt.gateway.encryption.BlobCipher}), and the canonical manifest
 * encoding ({@link io.cobalt.gateway.encryption.ManifestCodec}).
 */
package io.cobalt.gateway.encryption;
