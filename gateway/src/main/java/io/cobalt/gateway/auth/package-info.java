/**
 * Who is calling: {@link io.cobalt.gateway.auth.RequestAuthenticator} turns a request into a
 * {@link io.cobalt.gateway.auth.Principal} — Shared Key / Shared Key Lite signatures and key-signed
 * SAS tokens (service and account) checked against the account's two keys in constant time, or
 * anonymous. What the principal may do is decided by {@code io.cobalt.gateway.authz}.
 */
package io.cobalt.gateway.auth;
