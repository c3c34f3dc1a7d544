/**
 * Key derivation: HKDF-SHA256 (RFC 5869) and the length-prefixed {@code info} encoding that the
 * chunk format and the manifest MAC derive their keys with (docs/encryption-format.md).
 */
package io.cobalt.crypto.kdf;
