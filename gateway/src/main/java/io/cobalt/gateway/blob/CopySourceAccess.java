package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;

/**
 * Authentication and authorization of a copy's source (ADR 0019), by the same authenticator and
 * authorizer as every request: wired by the gateway, so the Blob handlers see neither.
 */
@FunctionalInterface
public interface CopySourceAccess {
  /**
   * Completes if the source may be read for this copy; fails (or throws) with the Azure error the
   * source's own read would get (403 AuthenticationFailed, 403 AuthorizationPermissionMismatch, 404
   * ResourceNotFound for a private container read anonymously, ...).
   *
   * @param destination the copy request (authorized, with its grant)
   * @param source {@link AzureRequest#copySource}: the source URL's path and query
   * @param sharedKeyReadsSameAccount whether a request signed with the source account's key may read
   *     a source without a SAS (Copy Blob: yes; Copy Blob From URL, Put Blob From URL: no)
   */
  Future<Void> authorize(AzureRequest destination, AzureRequest source, boolean sharedKeyReadsSameAccount);
}
