/**
 * The key-usage audit log: one JSON line per key operation (including denied and failed ones),
 * each chained to the previous line by hash, written and forced to disk before the operation
 * answers. Separate from diagnostic logs; holds no key material and no raw account names.
 *
 * <p>Line format (fields in this order, compact JSON, UTF-8, terminated by {@code \n}):
 * <pre>
 * {"ts":"2025-01-01T00:00:00.123456Z","seq":1,"agent":"kms-agent","requestId":"…",
 *  "caller":"&lt;hex SHA-256 of the caller's SPKI&gt;","op":"GENERATE_DEK",
 *  "key":{"id":"account/…","version":1},"result":"ok","code":"OK","latencyMs":1.234,
 *  "context":"&lt;hex HMAC-SHA256(context key, account)&gt;","prevHash":"&lt;hex SHA-256 of the previous line&gt;"}
 * </pre>
 * The first line's {@code prevHash} is 64 zeros and its {@code seq} is 1; each line's hash is the
 * SHA-256 of its bytes without the newline. {@link io.cobalt.kms.audit.AuditLogVerifier} checks the
 * chain. The chain shows edits, deletions and reorderings inside the file; cutting lines off its end
 * needs an external anchor (the last hash kept elsewhere) to be seen.
 */
package io.cobalt.kms.audit;
