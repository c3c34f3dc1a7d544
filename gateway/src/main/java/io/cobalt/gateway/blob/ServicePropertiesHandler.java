package io.cobalt.gateway.blob;

import io.cobalt.gateway.auth.SasAccess;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.placement.MetadataRouter;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.ServicePropertiesRecord;
import io.cobalt.proto.node.v1.ServicePropertiesSet;
import io.cobalt.proto.node.v1.StorageServiceKind;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Get and Set Blob, Queue or Table Service Properties ({@code restype=service&comp=properties} on
 * the account URL of that service's endpoint), and the per-gateway cache of every account's
 * properties of that service that CORS enforcement reads.
 *
 * <p>The properties are one record per account and service in the partition
 * {@code RendezvousPlacement.servicePropertiesPartition} names, written through Raft, so every
 * gateway sees them; a gateway caches them for {@link #CACHE_MILLIS} (another gateway's change
 * shows here within that time). Set merges the request into the stored record (elements left out
 * keep their setting, as Azure) at the gateway: two concurrent Sets of different elements can lose
 * one of them (last writer wins).
 */
public final class ServicePropertiesHandler {
  static final long CACHE_MILLIS = 5_000;
  static final int MAX_CACHED_ACCOUNTS = 10_000;

  private record Cached(ServiceProperties properties, long expiresAt) {}

  private final MetadataRouter metadata;
  private final Clock clock;
  private final StorageServiceKind service;
  private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

  /** The properties of {@code service} (the Blob, Queue or Table endpoint's). */
  public ServicePropertiesHandler(MetadataRouter metadata, Clock clock, StorageServiceKind service) {
    this.metadata = metadata;
    this.clock = clock;
    this.service = service;
  }

  /** The account's properties (cached; {@link ServiceProperties#none} when never set). */
  public Future<ServiceProperties> properties(Context ctx, String account) {
    long now = clock.millis();
    Cached c = cache.get(account);
    if (c != null && c.expiresAt() > now) {
      return Future.succeededFuture(c.properties());
    }
    return fetch(ctx, account);
  }

  private Future<ServiceProperties> fetch(Context ctx, String account) {
    return metadata.serviceProperties(ctx, account, service).map(rec -> {
      ServiceProperties p = rec == null
          ? ServiceProperties.none(service)
          : ServiceProperties.parse(service, rec.getDocument().toByteArray());
      if (cache.size() >= MAX_CACHED_ACCOUNTS) {
        cache.clear();
      }
      cache.put(account, new Cached(p, clock.millis() + CACHE_MILLIS));
      return p;
    });
  }

  /**
   * A request on the account URL of the Table or Queue endpoint with a {@code restype}: Get / Set
   * Service Properties ({@code ?restype=service&comp=properties}) with the account key, or an
   * account SAS for the service resource type with {@code r} (Get) or {@code w} (Set); a service
   * SAS is refused (403 AuthorizationFailure). Other service-level operations (statistics) are 501
   * NotImplemented, other verbs 405.
   */
  public Future<Void> handleAccountLevel(AzureRequest r) {
    if (!"service".equals(r.queryParam("restype"))) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "restype");
    }
    if (!"properties".equals(r.queryParam("comp"))) {
      throw AzureError.NOT_IMPLEMENTED.exception();
    }
    String verb = r.method().name();
    if (!verb.equals("GET") && !verb.equals("PUT")) {
      throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
    }
    if (r.sas() != null) {
      r.sas().require(SasAccess.SERVICE, null, verb.equals("GET") ? "r" : "w");
    }
    return verb.equals("GET") ? get(r) : set(r);
  }

  /** GET ?restype=service&comp=properties → 200 with StorageServiceProperties (read through). */
  public Future<Void> get(AzureRequest r) {
    return fetch(r.context(), r.path().account()).map(p -> {
      r.endXml(200, p.response());
      return null;
    });
  }

  /** PUT ?restype=service&comp=properties → 202; bad XML or values: 400 and nothing changed. */
  public Future<Void> set(AzureRequest r) {
    String account = r.path().account();
    return readBody(r).compose(body -> {
      ServiceProperties update = ServiceProperties.parse(service, body.getBytes());
      return fetch(r.context(), account).compose(current -> {
        ServiceProperties merged = current.merge(update);
        MetadataCommand command = MetadataCommand.newBuilder()
            .setPartition(metadata.placement().servicePropertiesPartition(account))
            .setRequestId(r.requestId())
            .setSetServiceProperties(ServicePropertiesSet.newBuilder().setProperties(
                ServicePropertiesRecord.newBuilder()
                    .setAccount(account)
                    .setService(service)
                    .setDocument(com.google.protobuf.ByteString.copyFrom(merged.document(), StandardCharsets.UTF_8))
                    .setLastModifiedEpochMillis(clock.millis())))
            .build();
        return metadata.submit(r.context(), command).map(result -> {
          if (result.getStatus() != CommandStatus.OK) {
            throw new IllegalStateException("set service properties: " + result.getStatus());
          }
          cache.put(account, new Cached(merged, clock.millis() + CACHE_MILLIS));
          r.end(202);
          return null;
        });
      });
    });
  }

  private static Future<Buffer> readBody(AzureRequest r) {
    Promise<Buffer> done = Promise.promise();
    Buffer body = Buffer.buffer();
    var req = r.http();
    req.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      if (body.length() + chunk.length() > ServiceProperties.MAX_BODY_BYTES) {
        done.tryFail(AzureError.REQUEST_BODY_TOO_LARGE.exception());
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> done.tryComplete(body));
    req.exceptionHandler(done::tryFail);
    req.resume();
    return done.future();
  }
}
