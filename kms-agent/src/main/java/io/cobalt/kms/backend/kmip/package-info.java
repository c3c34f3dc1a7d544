/**
 * KEKs on a KMIP 1.4 server over mutual TLS, with our own small TTLV client ({@link
 * io.cobalt.kms.backend.kmip.TtlvCodec}, {@link io.cobalt.kms.backend.kmip.KmipClient}): Create,
 * Activate, AES-GCM Encrypt/Decrypt on the server, Revoke, Destroy, Get Attributes. Key material
 * never reaches the agent. Version states live in the agent's {@link io.cobalt.kms.backend.KeyVersionStore}.
 */
package io.cobalt.kms.backend.kmip;
