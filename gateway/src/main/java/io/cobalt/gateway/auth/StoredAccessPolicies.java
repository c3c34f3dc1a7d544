package io.cobalt.gateway.auth;

import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * Where a service SAS's {@code si} is looked up: the container's ACL. Container ACLs (Set/Get
 * Container ACL) are not implemented yet, so the gateway uses {@link #NONE} and every SAS that names
 * a stored access policy is refused (403 AuthenticationFailed). Revoking such a SAS is then a
 * matter of editing the policy; the lookup must therefore not be cached beyond a few seconds.
 */
@FunctionalInterface
public interface StoredAccessPolicies {
  /** No policies anywhere (container ACLs are not implemented yet). */
  StoredAccessPolicies NONE = (ctx, account, container, identifier) -> Future.succeededFuture(null);

  /** The policy, or a future of null if the container has none with this identifier. */
  Future<StoredAccessPolicy> find(Context ctx, String account, String container, String identifier);
}
