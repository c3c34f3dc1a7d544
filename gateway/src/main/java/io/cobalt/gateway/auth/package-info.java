/**
 * Who is calling: Shared Key / Shared Key Lite request signatures checked against the account's
 * two keys. Authorization (what the caller may do) is, for Shared Key, "everything in its own
 * account", checked here as signer == account in the path; SAS and public access come later.
 */
package io.cobalt.gateway.auth;
