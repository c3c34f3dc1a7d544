/**
 * The key lifecycle on top of the backends: a catalog of per-key lifecycle state (backend, minimum
 * decryption version, rotation period, soft deletion, BYOK origin), a router that serves each key
 * from its backend and enforces deletion and retirement before any key is used, the lifecycle
 * service (create, rotate, list, enable/disable, minimum decryption version, rotation policy,
 * delete/recover/purge, import; each audited), and the BYOK import key and wrapping format.
 */
package io.cobalt.kms.lifecycle;
