/**
 * Who may do what: a caller (identified by the SHA-256 of its certificate's public key) may use an
 * operation only if the policy names it for that operation. Deny by default; every denial is
 * audited before it is answered.
 */
package io.cobalt.kms.policy;
