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
}
