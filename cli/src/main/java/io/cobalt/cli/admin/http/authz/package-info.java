/**
 * Who may do what on the HTTPS admin API (ADR 0041): each caller identity (hex SHA-256 of its
 * client certificate's SubjectPublicKeyInfo, as the kms-agent names its callers) has at most one
 * {@link io.cobalt.cli.admin.http.authz.AdminGrant} in an {@link
 * io.cobalt.cli.admin.http.authz.AdminPolicy}: the operations it may use and the keys it may use them
 * on. Deny by default. The policy file is reloaded without a restart ({@link
 * io.cobalt.cli.admin.http.authz.ReloadingAdminPolicy}).
 */
package io.cobalt.cli.admin.http.authz;
