package io.cobalt.gateway.blob;

import io.cobalt.gateway.authz.BlobAction;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;

/**
 * Which Blob operation a request is (by verb, path depth and {@code restype}/{@code comp}), and
 * its handler. Anything not supported yet is answered with Azure's codes (501 NotImplemented, 405
 * UnsupportedHttpVerb, 400 InvalidQueryParameterValue) — never 500.
 */
public final class BlobOperations {
  /** A Blob operation: runs on the request's context and completes when the response ended. */
  @FunctionalInterface
  public interface Operation {
    Future<Void> handle(AzureRequest request);
  }

  /** A routed request: what it does (for authorization) and the handler that does it. */
  public record Route(BlobAction action, Operation handler) {}

  private final ContainerHandler containers;
  private final PutBlobHandler putBlob;
  private final GetBlobHandler getBlob;
  private final DeleteBlobHandler deleteBlob;
  private final ListBlobsHandler listBlobs;
  private final BlockListHandler blocks;
  private final BlobPropertiesHandler properties;
  private final AccountInfoHandler accountInfo = new AccountInfoHandler();
  private final OtherBlobTypesHandler otherBlobTypes;
  private final AppendBlobHandler appendBlobs;
  private final LeaseHandler leases;
  private final SnapshotHandler snapshots;
  private final ContainerAclHandler acls;
  private final ServicePropertiesHandler serviceProperties;
  private final Cors cors;
  private final TagsHandler tags;
  private final CopyBlobHandler copies;

  /**
   * @param access the container ACL cache that authentication and authorization also use
   * @param copySources authorizes the source of a copy as its own read would be
   */
  public BlobOperations(BlobServices services, ContainerAccess access, CopySourceAccess copySources) {
    this.copies = new CopyBlobHandler(services, copySources);
    this.containers = new ContainerHandler(services, access);
    this.leases = new LeaseHandler(services);
    this.snapshots = new SnapshotHandler(services);
    this.acls = new ContainerAclHandler(services, access);
    this.putBlob = new PutBlobHandler(services);
    this.getBlob = new GetBlobHandler(services);
    this.deleteBlob = new DeleteBlobHandler(services);
    this.listBlobs = new ListBlobsHandler(services);
    this.blocks = new BlockListHandler(services);
    this.properties = new BlobPropertiesHandler(services);
    this.otherBlobTypes = new OtherBlobTypesHandler(services);
    this.appendBlobs = new AppendBlobHandler(services);
    this.serviceProperties = new ServicePropertiesHandler(services.metadata(), services.clock(),
        io.cobalt.proto.node.v1.StorageServiceKind.STORAGE_SERVICE_BLOB);
    this.cors = new Cors(serviceProperties);
    this.tags = new TagsHandler(services, new IndexTags(services));
  }

  /** CORS preflights and response headers, from the accounts' Blob service properties. */
  public Cors cors() {
    return cors;
  }

  /** @throws io.cobalt.gateway.http.AzureException for unknown or unsupported operations */
  public Route route(AzureRequest r) {
    HttpMethod m = r.method();
    String restype = r.queryParam("restype");
    String comp = r.queryParam("comp");
    if ("account".equals(restype) && "properties".equals(comp)) {
      // Get Account Information: the same on the service, a container or a blob URL.
      if (m != HttpMethod.GET && m != HttpMethod.HEAD) {
        throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
      }
      return new Route(BlobAction.GET_ACCOUNT_INFORMATION, accountInfo::get);
    }
    if (r.path().container() == null) {
      if ("list".equals(comp)) {
        return new Route(BlobAction.LIST_CONTAINERS, only(m, HttpMethod.GET, containers::list));
      }
      if ("service".equals(restype) && "properties".equals(comp)) {
        if (m == HttpMethod.PUT) {
          return new Route(BlobAction.WRITE_SERVICE_PROPERTIES, serviceProperties::set);
        }
        return new Route(BlobAction.READ_SERVICE_PROPERTIES, only(m, HttpMethod.GET, serviceProperties::get));
      }
      if ("blobs".equals(comp) && restype == null) {
        return new Route(BlobAction.FIND_BLOBS_IN_ACCOUNT, only(m, HttpMethod.GET, tags::findInAccount));
      }
      if ("service".equals(restype) || "account".equals(restype) || comp != null) {
        throw AzureError.NOT_IMPLEMENTED.exception();
      }
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "comp");
    }
    if (r.path().blob() == null) {
      if (!"container".equals(restype)) {
        throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "restype");
      }
      if (comp == null) {
        if (m == HttpMethod.PUT) {
          return new Route(BlobAction.CREATE_CONTAINER, containers::create);
        }
        if (m == HttpMethod.DELETE) {
          return new Route(BlobAction.DELETE_CONTAINER, containers::delete);
        }
        if (m == HttpMethod.GET || m == HttpMethod.HEAD) {
          return new Route(BlobAction.READ_CONTAINER_PROPERTIES, containers::properties);
        }
        throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
      }
      if (comp.equals("list")) {
        return new Route(BlobAction.LIST_BLOBS, only(m, HttpMethod.GET, listBlobs::list));
      }
      if (comp.equals("metadata")) {
        if (m == HttpMethod.PUT) {
          return new Route(BlobAction.WRITE_CONTAINER_METADATA, containers::setMetadata);
        }
        if (m == HttpMethod.GET || m == HttpMethod.HEAD) {
          return new Route(BlobAction.READ_CONTAINER_PROPERTIES, containers::properties);
        }
        throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
      }
      if (comp.equals("lease")) {
        return new Route(BlobAction.LEASE_CONTAINER, only(m, HttpMethod.PUT, leases::leaseContainer));
      }
      if (comp.equals("acl")) {
        if (m == HttpMethod.PUT) {
          return new Route(BlobAction.WRITE_CONTAINER_ACL, acls::set);
        }
        if (m == HttpMethod.GET || m == HttpMethod.HEAD) {
          return new Route(BlobAction.READ_CONTAINER_ACL, acls::get);
        }
        throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
      }
      if (comp.equals("blobs")) {
        return new Route(BlobAction.FIND_BLOBS_IN_CONTAINER, only(m, HttpMethod.GET, tags::findInContainer));
      }
      if (comp.equals("batch") || comp.equals("undelete") || comp.equals("rename")) {
        throw AzureError.NOT_IMPLEMENTED.exception();
      }
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "comp");
    }
    if (r.queryParam("snapshot") != null) {
      // A snapshot is read-only (ADR 0022): reads and Delete Blob may name one, no write may.
      if (m == HttpMethod.PUT) {
        SnapshotHandler.refuseOnSnapshot(r);
      }
    }
    if (comp != null) {
      switch (comp) {
        case "snapshot" -> {
          return new Route(BlobAction.WRITE_BLOB, only(m, HttpMethod.PUT, snapshots::snapshot));
        }
        case "block" -> {
          return new Route(BlobAction.WRITE_BLOB, only(m, HttpMethod.PUT, blocks::putBlock));
        }
        case "blocklist" -> {
          if (m == HttpMethod.PUT) {
            return new Route(BlobAction.WRITE_BLOB, blocks::putBlockList);
          }
          return new Route(BlobAction.READ_BLOB, only(m, HttpMethod.GET, blocks::getBlockList));
        }
        case "properties" -> {
          return new Route(BlobAction.WRITE_BLOB_PROPERTIES, only(m, HttpMethod.PUT, properties::setProperties));
        }
        case "metadata" -> {
          if (m == HttpMethod.PUT) {
            return new Route(BlobAction.WRITE_BLOB_PROPERTIES, properties::setMetadata);
          }
          if (m == HttpMethod.GET || m == HttpMethod.HEAD) {
            return new Route(BlobAction.READ_BLOB, properties::getMetadata);
          }
          throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
        }
        case "appendblock" -> {
          return new Route(BlobAction.APPEND_BLOCK, only(m, HttpMethod.PUT, appendBlobs::appendBlock));
        }
        case "seal" -> {
          return new Route(BlobAction.SEAL_BLOB, only(m, HttpMethod.PUT, appendBlobs::seal));
        }
        case "page" -> {
          // Put Page: page blobs cannot exist (404 / 409 InvalidBlobType).
          return new Route(BlobAction.WRITE_BLOB, only(m, HttpMethod.PUT, otherBlobTypes::refuse));
        }
        case "pagelist" -> {
          return new Route(BlobAction.READ_BLOB, only(m, HttpMethod.GET, otherBlobTypes::refuse));
        }
        case "lease" -> {
          return new Route(BlobAction.LEASE_BLOB, only(m, HttpMethod.PUT, leases::leaseBlob));
        }
        case "tags" -> {
          if (m == HttpMethod.PUT) {
            return new Route(BlobAction.WRITE_BLOB_TAGS, tags::set);
          }
          return new Route(BlobAction.READ_BLOB_TAGS, only(m, HttpMethod.GET, tags::get));
        }
        case "copy" -> {
          // Abort Copy Blob: copies complete synchronously, none is ever pending (409).
          return new Route(BlobAction.WRITE_BLOB_PROPERTIES, only(m, HttpMethod.PUT, copies::abort));
        }
        case "incrementalcopy", "tier",
            "undelete", "expiry", "immutabilityPolicies", "legalhold", "query" ->
            // Copy...: later issues.
            throw AzureError.NOT_IMPLEMENTED.exception();
        default -> throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "comp");
      }
    }
    if (m == HttpMethod.PUT) {
      if (r.header("x-ms-copy-source") != null) {
        // Within this service and synchronous (ADR 0019): Put Blob From URL names a blob type,
        // Copy Blob From URL asks for a synchronous copy, Copy Blob does neither.
        if (r.header("x-ms-blob-type") != null) {
          return new Route(BlobAction.WRITE_BLOB, copies::putFromUrl);
        }
        if ("true".equalsIgnoreCase(r.header("x-ms-requires-sync"))) {
          return new Route(BlobAction.WRITE_BLOB, copies::copyFromUrl);
        }
        return new Route(BlobAction.WRITE_BLOB, copies::copyBlob);
      }
      return new Route(BlobAction.WRITE_BLOB, putBlob::put);
    }
    if (m == HttpMethod.GET || m == HttpMethod.HEAD) {
      return new Route(BlobAction.READ_BLOB, getBlob::get);
    }
    if (m == HttpMethod.DELETE) {
      return new Route(BlobAction.DELETE_BLOB, deleteBlob::delete);
    }
    throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
  }

  private static Operation only(HttpMethod actual, HttpMethod allowed, Operation op) {
    if (actual != allowed) {
      throw AzureError.UNSUPPORTED_HTTP_VERB.exception();
    }
    return op;
  }
}
