/**
 * The kms-agent: generates and unwraps data keys for its callers over loopback mTLS gRPC, keeps
 * per-account KEKs in a local keystore sealed by a master key, and writes a hash-chained audit log.
 *
 * <p>{@link io.cobalt.kms.KmsAgentServer#start} wires the key path in data-path order:
 * {@code api} (gRPC, caller identity) → {@code policy} (deny by default) → {@code keys} (KEK versions,
 * DEK wrapping) → {@code backend.local} (sealed keystore) → {@code audit}.
 */
package io.cobalt.kms;
