/**
 * Key-encryption keys (KEKs) per account and the wrapping of data keys (DEKs) under them.
 *
 * <p>{@link io.cobalt.kms.keys.DataKeyService} is the key path of the agent: it checks account names
 * and key ids, picks the newest enabled KEK version for new data keys, binds every wrapped DEK to its
 * account, key id and version through the associated data, and writes one audit record per
 * operation before it answers. Where KEKs live and how they are used is the business of a
 * {@link io.cobalt.kms.keys.KeyBackend} (today the local sealed keystore).
 *
 * <p>Wrapped DEK, as stored next to the metadata it protects ({@code WrappedKey} in kms.proto):
 * <pre>
 *   ciphertext = nonce (12 random bytes) ‖ AES-256-GCM(KEK_v, DEK) (32) ‖ tag (16)   — 60 bytes
 *   AAD        = field("cobalt/dek/v1") ‖ field(account) ‖ field(key id) ‖ field(uint32 BE version)
 *   field(x)   = uint32 BE length of x ‖ x   (strings as UTF-8)
 * </pre>
 */
package io.cobalt.kms.keys;
