package io.cobalt.gateway.authz;

import io.cobalt.gateway.auth.IpRange;
import io.cobalt.gateway.auth.Principal;
import io.cobalt.gateway.auth.ResponseHeaderOverrides;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;

/**
 * Step two of every request: may this principal do this operation here? Account keys may do
 * everything in their account. A SAS may do what it says, checked in Azure's order: source IP
 * ({@code sip}, 403 AuthorizationSourceIPMismatch), protocol ({@code spr=https} over HTTP, 403
 * AuthorizationProtocolMismatch), service ({@code ss} without {@code b}, 403
 * AuthorizationServiceMismatch), resource type ({@code srt}, 403
 * AuthorizationResourceTypeMismatch), operations a service SAS can never do (403
 * AuthorizationFailure), permissions ({@code sp}, 403 AuthorizationPermissionMismatch), then the
 * signed encryption scope against {@code x-ms-encryption-scope} (400 InvalidHeaderValue).
 * Anonymous callers may do only what {@link PublicAccess} allows.
 */
public final class Authorizer {
  private final PublicAccess publicAccess;

  public Authorizer(PublicAccess publicAccess) {
    this.publicAccess = publicAccess;
  }

  public Future<Grant> authorize(Principal principal, BlobAction action, AzureRequest r) {
    if (principal instanceof Principal.AccountKey) {
      return Future.succeededFuture(new Grant(principal, true, ResponseHeaderOverrides.NONE));
    }
    if (principal instanceof Principal.Anonymous) {
      if (!action.isRead()) {
        return Future.failedFuture(anonymousRefused(r));
      }
      return publicAccess
          .allows(r.context(), principal.account(), r.path().container(), action)
          .map(
              allowed -> {
                if (!allowed) {
                  throw anonymousRefused(r);
                }
                return new Grant(principal, false, ResponseHeaderOverrides.NONE);
              });
    }
    if (principal instanceof Principal.AccountSas sas) {
      checkSource(sas.ipRange(), sas.httpsOnly(), r);
      if (sas.services().indexOf('b') < 0) {
        throw AzureError.AUTHORIZATION_SERVICE_MISMATCH.exception();
      }
      if (action.resourceType() != BlobAction.ANY_RESOURCE_TYPE
          && sas.resourceTypes().indexOf(action.resourceType()) < 0) {
        throw AzureError.AUTHORIZATION_RESOURCE_TYPE_MISMATCH.exception();
      }
      requireAny(sas.permissions(), action.accountSasPermissions());
      checkEncryptionScope(sas.encryptionScope(), r);
      return Future.succeededFuture(
          new Grant(principal, sas.permissions().indexOf('w') >= 0, ResponseHeaderOverrides.NONE));
    }
    if (principal instanceof Principal.ServiceSas sas) {
      checkSource(sas.ipRange(), sas.httpsOnly(), r);
      if (action.serviceSasPermissions() == null) {
        throw AzureError.AUTHORIZATION_FAILURE.exception();
      }
      requireAny(sas.permissions(), action.serviceSasPermissions());
      checkEncryptionScope(sas.encryptionScope(), r);
      return Future.succeededFuture(new Grant(principal, sas.permissions().indexOf('w') >= 0, sas.overrides()));
    }
    throw new IllegalStateException("unknown principal " + principal.getClass());
  }

  private static void checkSource(IpRange range, boolean httpsOnly, AzureRequest r) {
    if (range != null && !range.contains(r.remoteIp())) {
      throw AzureError.AUTHORIZATION_SOURCE_IP_MISMATCH.exceptionWithMessage(
          "This request is not authorized to perform this operation using this source IP " + r.remoteIp() + ".");
    }
    if (httpsOnly && !r.secure()) {
      throw AzureError.AUTHORIZATION_PROTOCOL_MISMATCH.exception();
    }
  }

  private static void requireAny(String granted, String anyOf) {
    for (int i = 0; i < anyOf.length(); i++) {
      if (granted.indexOf(anyOf.charAt(i)) >= 0) {
        return;
      }
    }
    throw AzureError.AUTHORIZATION_PERMISSION_MISMATCH.exception();
  }

  /** After 2020-12-06 a request's x-ms-encryption-scope must be the one the SAS signed (400, as Azure). */
  private static void checkEncryptionScope(String signed, AzureRequest r) {
    String requested = r.header("x-ms-encryption-scope");
    if (signed != null && requested != null && !requested.equals(signed)) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-encryption-scope");
    }
  }

  /**
   * What Azure answers an anonymous request it does not allow: under a container (private, missing,
   * or an operation public access never allows) 404 ResourceNotFound, which does not tell whether
   * the container exists; at the account level 403 AuthenticationFailed (the header is missing).
   */
  private static RuntimeException anonymousRefused(AzureRequest r) {
    if (r.path().container() != null) {
      return AzureError.RESOURCE_NOT_FOUND.exception();
    }
    return AzureError.AUTHENTICATION_FAILED.exception(
        "AuthenticationErrorDetail", "The Authorization header is missing.");
  }
}
