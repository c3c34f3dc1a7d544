/**
 * KEKs in a PKCS#11 token (SoftHSM2 in tests) through SunPKCS11: generated inside the token,
 * sensitive and non-extractable, one token object per version labelled {@code <keyId>/v<N>}; DEKs
 * wrapped by AES-256-GCM encryption inside the token. Version states live in the agent's
 * {@link io.cobalt.kms.backend.KeyVersionStore}, since a token cannot express "disabled". The
 * token is opened on first use, with a back-off between failed attempts, so the agent starts
 * without it. The token is chosen by its label ({@link io.cobalt.kms.backend.pkcs11.TokenLabels}
 * resolves it to a slot id) or by its index in the module's slot list.
 */
package io.cobalt.kms.backend.pkcs11;
