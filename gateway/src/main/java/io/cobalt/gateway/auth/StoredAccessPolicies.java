package io.cobalt.gateway.auth;

import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * Where a service SAS's {@code si} is looked up: the container's ACL (Set Container ACL). The
 * gateway's implementation is {@code blob.ContainerAccess}. Revoking such a SAS is a matter of
 * editing or removing the policy; the lookup is therefore never cached beyond a few seconds (2 s,
 * ADR 0015). A SAS naming a policy the container does not have gets 403 AuthenticationFailed.
 */
@FunctionalInterface
public interface StoredAccessPolicies {
  /** No policies anywhere (tests, and endpoints without containers). */
  StoredAccessPolicies NONE = (ctx, account, container, identifier) -> Future.succeededFuture(null);

  /** The policy, or a future of null if the container has none with this identifier. */
  Future<StoredAccessPolicy> find(Context ctx, String account, String container, String identifier);
}
