/**
 * What a caller may do: {@link io.cobalt.gateway.authz.Authorizer} checks an authenticated
 * {@link io.cobalt.gateway.auth.Principal} against the {@link io.cobalt.gateway.authz.BlobAction}
 * of the routed operation and yields a {@link io.cobalt.gateway.authz.Grant}. Runs after
 * authentication and routing, before any handler, in {@code http.RequestPipeline}.
 */
package io.cobalt.gateway.authz;
