package io.cobalt.gateway.auth;

import io.cobalt.gateway.AccountKeys;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Step one of every request: who is calling. The account must exist; then an {@code Authorization}
 * header means Shared Key / Shared Key Lite, a {@code sig} query parameter means a SAS, and neither
 * means anonymous. Never decides what the caller may do (see {@code authz.Authorizer}).
 */
public final class RequestAuthenticator {
  private final Map<String, AccountKeys> accounts = new HashMap<>();
  private final SharedKeyAuthenticator sharedKey;
  private final SasAuthenticator sas;

  public RequestAuthenticator(List<AccountKeys> accounts, Clock clock, StoredAccessPolicies policies) {
    for (AccountKeys a : accounts) {
      this.accounts.put(a.account(), a);
    }
    this.sharedKey = new SharedKeyAuthenticator(accounts, clock);
    this.sas = new SasAuthenticator(policies);
  }

  /**
   * @return the principal, or a failed future / thrown {@link io.cobalt.gateway.http.AzureException}
   *     (400 InvalidOperation for an unknown account, 403 AuthenticationFailed, 400
   *     InvalidAuthenticationInfo)
   */
  public Future<Principal> authenticate(AzureRequest r) {
    AccountKeys keys = accounts.get(r.path().account());
    if (keys == null) {
      throw AzureError.INVALID_STORAGE_ACCOUNT.exception();
    }
    if (r.header("Authorization") != null) {
      return Future.succeededFuture(new Principal.AccountKey(sharedKey.authenticate(r)));
    }
    SasToken token = SasToken.of(r);
    if (token != null) {
      return sas.authenticate(r, keys, token);
    }
    return Future.succeededFuture(new Principal.Anonymous(keys.account()));
  }

  /**
   * Who reads the source of a copy ({@link AzureRequest#copySource}): the source URL's SAS if it
   * carries one; else, when {@code sharedKeyReadsSameAccount} (Copy Blob) and the destination request
   * was signed with the key of the source's own account, that account's key (as Azure authorizes a
   * same-account source with the request's Shared Key); else anonymous (public containers only).
   *
   * @throws io.cobalt.gateway.http.AzureException as {@link #authenticate} (an account this service
   *     does not have: 400 InvalidOperation)
   */
  public Future<Principal> authenticateCopySource(
      AzureRequest source, Principal destination, boolean sharedKeyReadsSameAccount) {
    AccountKeys keys = accounts.get(source.path().account());
    if (keys == null) {
      throw AzureError.INVALID_STORAGE_ACCOUNT.exception();
    }
    SasToken token = SasToken.of(source);
    if (token != null) {
      return sas.authenticate(source, keys, token);
    }
    if (sharedKeyReadsSameAccount
        && destination instanceof Principal.AccountKey
        && destination.account().equals(keys.account())) {
      return Future.succeededFuture(new Principal.AccountKey(keys.account()));
    }
    return Future.succeededFuture(new Principal.Anonymous(keys.account()));
  }
}
