package io.cobalt.gateway.blob;

import io.cobalt.gateway.auth.StoredAccessPolicies;
import io.cobalt.gateway.auth.StoredAccessPolicy;
import io.cobalt.gateway.authz.BlobAction;
import io.cobalt.gateway.authz.PublicAccess;
import io.cobalt.gateway.placement.MetadataRouter;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.SignedIdentifier;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A container's ACL as authentication and authorization need it: its stored access policies (a
 * service SAS's {@code si}) and its public access level (anonymous reads). Container records are
 * cached for at most {@link #CACHE_TTL_MILLIS} by the gateway's clock, so a policy removed or a
 * container made private takes effect on every gateway within that delay (at once on the gateway
 * that made the change, which drops its entry). The cache is bounded ({@link #MAX_ENTRIES}).
 */
public final class ContainerAccess implements StoredAccessPolicies, PublicAccess {
  /** How long a looked-up container ACL is trusted: revoking a policy takes effect within this. */
  public static final long CACHE_TTL_MILLIS = 2_000;
  static final int MAX_ENTRIES = 10_000;

  private record Key(String account, String container) {}

  private record Entry(ContainerRecord record, long fetchedMillis) {}

  private final MetadataRouter metadata;
  private final Clock clock;
  private final ConcurrentHashMap<Key, Entry> cache = new ConcurrentHashMap<>();

  public ContainerAccess(MetadataRouter metadata, Clock clock) {
    this.metadata = metadata;
    this.clock = clock;
  }

  @Override
  public Future<StoredAccessPolicy> find(Context ctx, String account, String container, String identifier) {
    return lookup(ctx, account, container).map(c -> {
      if (c == null) {
        return null;
      }
      for (SignedIdentifier si : c.getSignedIdentifiersList()) {
        if (si.getId().equals(identifier)) {
          return new StoredAccessPolicy(
              si.getPermissions().isEmpty() ? null : si.getPermissions(),
              si.getStartEpochMillis() == 0 ? null : Instant.ofEpochMilli(si.getStartEpochMillis()),
              si.getExpiryEpochMillis() == 0 ? null : Instant.ofEpochMilli(si.getExpiryEpochMillis()));
        }
      }
      return null;
    });
  }

  @Override
  public Future<Boolean> allows(Context ctx, String account, String container, BlobAction action) {
    if (container == null || !ResourceNames.isValidContainerName(container)) {
      return Future.succeededFuture(false);
    }
    return lookup(ctx, account, container).map(c -> c != null && allows(c.getPublicAccess(), action));
  }

  /** {@code blob}: blob reads only; {@code container}: also List Blobs and container properties. */
  static boolean allows(String level, BlobAction action) {
    return switch (level) {
      case "container" -> action == BlobAction.READ_BLOB || action == BlobAction.LIST_BLOBS
          || action == BlobAction.READ_CONTAINER_PROPERTIES;
      case "blob" -> action == BlobAction.READ_BLOB;
      default -> false;
    };
  }

  /** Forgets a container's ACL (this gateway changed it). */
  void invalidate(String account, String container) {
    cache.remove(new Key(account, container));
  }

  private Future<ContainerRecord> lookup(Context ctx, String account, String container) {
    Key key = new Key(account, container);
    long now = clock.millis();
    Entry e = cache.get(key);
    if (e != null && now >= e.fetchedMillis() && now - e.fetchedMillis() < CACHE_TTL_MILLIS) {
      return Future.succeededFuture(e.record());
    }
    return metadata.container(ctx, account, container).map(c -> {
      if (cache.size() >= MAX_ENTRIES) {
        cache.clear();
      }
      cache.put(key, new Entry(c, now));
      return c;
    });
  }
}
