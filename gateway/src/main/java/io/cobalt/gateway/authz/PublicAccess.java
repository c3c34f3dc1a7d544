package io.cobalt.gateway.authz;

import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * The hook for anonymous access: whether a container's public access level ({@code blob} or
 * {@code container}) lets an anonymous caller do {@code action}. The gateway's implementation is
 * {@code blob.ContainerAccess}, which reads the level from the container's ACL.
 */
@FunctionalInterface
public interface PublicAccess {
  /** No container is public. */
  PublicAccess NONE = (ctx, account, container, action) -> Future.succeededFuture(false);

  /** @param container null for account-level requests (never public in Azure) */
  Future<Boolean> allows(Context ctx, String account, String container, BlobAction action);
}
