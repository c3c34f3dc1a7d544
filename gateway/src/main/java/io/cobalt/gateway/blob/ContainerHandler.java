package io.cobalt.gateway.blob;

import com.google.protobuf.ByteString;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.gateway.http.Xml;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.CreateContainer;
import io.cobalt.proto.node.v1.DeleteContainer;
import io.cobalt.proto.node.v1.ListContainers;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.util.Map;
import java.util.Set;

/** Create Container, Delete Container, Get Container Properties, List Containers. */
final class ContainerHandler {
  private static final Set<String> LIST_INCLUDES = Set.of("metadata", "deleted", "system");

  private final BlobServices services;
  private final ContainerAccess access;

  ContainerHandler(BlobServices services, ContainerAccess access) {
    this.services = services;
    this.access = access;
  }

  /** PUT ?restype=container → 201; 409 ContainerAlreadyExists. */
  Future<Void> create(AzureRequest r) {
    String account = r.path().account();
    String name = r.path().container();
    ResourceNames.requireContainerName(name);
    String publicAccess = ContainerAclHandler.publicAccess(r);
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    String defaultScope = BlobScopes.parse(r.header(DEFAULT_SCOPE), DEFAULT_SCOPE);
    boolean denyOverride = denyOverride(r);
    long now = services.clock().millis();
    ContainerRecord record =
        ContainerRecord.newBuilder()
            .setAccount(account)
            .setName(name)
            .setContainerId(ByteString.copyFrom(services.cipher().newId()))
            .setCreatedEpochMillis(now)
            .setLastModifiedEpochMillis(now)
            .setEtag(services.newEtag())
            .putAllMetadata(metadata)
            .setPublicAccess(publicAccess)
            .setDefaultEncryptionScope(defaultScope)
            .setDenyEncryptionScopeOverride(denyOverride)
            .build();
    MetadataCommand command =
        MetadataCommand.newBuilder()
            .setPartition(services.metadata().placement().containerPartition(account, name))
            .setRequestId(r.requestId())
            .setCreateContainer(CreateContainer.newBuilder().setContainer(record))
            .build();
    // Azure requires a default scope to exist when the container is created.
    return BlobScopes.requireExists(services, r, account, defaultScope, DEFAULT_SCOPE)
        .compose(keyId -> services.metadata().submit(r.context(), command))
        .map(
            result -> {
              access.invalidate(account, name);
              if (result.getStatus() == CommandStatus.ALREADY_EXISTS) {
                throw AzureError.CONTAINER_ALREADY_EXISTS.exception();
              }
              requireOk(result.getStatus());
              ContainerRecord created = result.hasContainer() ? result.getContainer() : record;
              r.response(201)
                  .putHeader("ETag", created.getEtag())
                  .putHeader("Last-Modified", HttpDates.rfc1123(created.getLastModifiedEpochMillis()))
                  .putHeader("Content-Length", "0")
                  .end();
              return null;
            });
  }

  static final String DEFAULT_SCOPE = "x-ms-default-encryption-scope";
  static final String DENY_OVERRIDE = "x-ms-deny-encryption-scope-override";

  /** {@code x-ms-deny-encryption-scope-override}: true or false (400 InvalidHeaderValue otherwise). */
  private static boolean denyOverride(AzureRequest r) {
    String v = r.header(DENY_OVERRIDE);
    if (v == null || v.trim().equalsIgnoreCase("false")) {
      return false;
    }
    if (v.trim().equalsIgnoreCase("true")) {
      return true;
    }
    throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", DENY_OVERRIDE);
  }

  static String scopeName(ContainerRecord c) {
    return c.getDefaultEncryptionScope().isEmpty() ? BlobScopes.ACCOUNT_KEY_SCOPE : c.getDefaultEncryptionScope();
  }

  /** DELETE ?restype=container → 202; 404 ContainerNotFound; 412 for If-(Un)Modified-Since. */
  Future<Void> delete(AzureRequest r) {
    String account = r.path().account();
    String name = r.path().container();
    ResourceNames.requireContainerName(name);
    io.cobalt.proto.node.v1.Condition condition = ConditionalHeaders.ofContainer(r);
    MetadataCommand command =
        MetadataCommand.newBuilder()
            .setPartition(services.metadata().placement().containerPartition(account, name))
            .setRequestId(r.requestId())
            .setDeleteContainer(
                DeleteContainer.newBuilder().setAccount(account).setName(name).setCondition(condition))
            .build();
    return services
        .metadata()
        .submit(r.context(), command)
        .map(
            result -> {
              access.invalidate(account, name);
              if (result.getStatus() == CommandStatus.NOT_FOUND) {
                throw AzureError.CONTAINER_NOT_FOUND.exception();
              }
              if (result.getStatus() == CommandStatus.CONDITION_NOT_MET) {
                throw AzureError.CONDITION_NOT_MET.exception();
              }
              requireLeaseOk(result.getStatus());
              requireOk(result.getStatus());
              r.end(202);
              return null;
            });
  }

  /** GET/HEAD ?restype=container → 200 with the container's properties and metadata. */
  Future<Void> properties(AzureRequest r) {
    ResourceNames.requireContainerName(r.path().container());
    return services
        .requireContainer(r)
        .map(
            c -> {
              MultiMap h = r.response(200).headers();
              h.set("ETag", c.getEtag());
              h.set("Last-Modified", HttpDates.rfc1123(c.getLastModifiedEpochMillis()));
              LeaseHandler.putHeaders(h, c.hasLease(), c.getLease(), r.received().toEpochMilli());
              if (!c.getPublicAccess().isEmpty()) {
                h.set("x-ms-blob-public-access", c.getPublicAccess());
              }
              h.set("x-ms-has-immutability-policy", "false");
              h.set("x-ms-has-legal-hold", "false");
              h.set(DEFAULT_SCOPE, scopeName(c));
              h.set(DENY_OVERRIDE, Boolean.toString(c.getDenyEncryptionScopeOverride()));
              h.set("Content-Length", "0");
              BlobHeaders.putMetadata(h, c.getMetadataMap());
              r.http().response().end();
              return null;
            });
  }

  /** PUT ?restype=container&comp=metadata → 200; replaces the metadata, new ETag and Last-Modified. */
  Future<Void> setMetadata(AzureRequest r) {
    String account = r.path().account();
    String name = r.path().container();
    ResourceNames.requireContainerName(name);
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    io.cobalt.proto.node.v1.Condition condition = ConditionalHeaders.ofContainer(r);
    if (condition.hasIfUnmodifiedSinceMillis()) {
      throw AzureError.UNSUPPORTED_HEADER.exception("HeaderName", "If-Unmodified-Since");
    }
    MetadataCommand command =
        MetadataCommand.newBuilder()
            .setPartition(services.metadata().placement().containerPartition(account, name))
            .setRequestId(r.requestId())
            .setSetContainerMetadata(io.cobalt.proto.node.v1.SetContainerMetadata.newBuilder()
                .setAccount(account)
                .setName(name)
                .setCondition(condition)
                .putAllMetadata(metadata)
                .setEtag(services.newEtag())
                .setLastModifiedEpochMillis(services.clock().millis()))
            .build();
    return services.metadata().submit(r.context(), command).map(result -> {
      if (result.getStatus() == CommandStatus.NOT_FOUND) {
        throw AzureError.CONTAINER_NOT_FOUND.exception();
      }
      if (result.getStatus() == CommandStatus.CONDITION_NOT_MET) {
        throw AzureError.CONDITION_NOT_MET.exception();
      }
      requireLeaseOk(result.getStatus());
      requireOk(result.getStatus());
      r.response(200)
          .putHeader("ETag", result.getContainer().getEtag())
          .putHeader("Last-Modified", HttpDates.rfc1123(result.getContainer().getLastModifiedEpochMillis()))
          .putHeader("Content-Length", "0")
          .end();
      return null;
    });
  }

  /** GET /account?comp=list → EnumerationResults of containers. */
  Future<Void> list(AzureRequest r) {
    String account = r.path().account();
    String prefix = PagedListing.boundedParam(r, "prefix", 1024);
    String marker = PagedListing.boundedParam(r, "marker", 1024);
    int max = PagedListing.maxResults(r);
    boolean withMetadata = PagedListing.includesMetadata(r, LIST_INCLUDES);
    return services
        .metadata()
        .fanOut(
            r.context(),
            p ->
                MetadataQuery.newBuilder()
                    .setPartition(p)
                    .setListContainers(
                        ListContainers.newBuilder()
                            .setAccount(account)
                            .setPrefix(prefix)
                            .setMarker(marker)
                            .setMaxResults(max))
                    .build())
        .map(
            results -> {
              PagedListing<ContainerRecord> page =
                  PagedListing.merge(results, q -> q.getContainersList(), ContainerRecord::getName, max);
              StringBuilder xml = new StringBuilder(512).append(Xml.DECLARATION);
              xml.append("<EnumerationResults ServiceEndpoint=\"")
                  .append(Xml.escape(serviceEndpoint(r)))
                  .append("\">");
              if (r.queryParam("prefix") != null) {
                Xml.element(xml, "Prefix", prefix);
              }
              if (r.queryParam("marker") != null) {
                Xml.element(xml, "Marker", marker);
              }
              if (r.queryParam("maxresults") != null) {
                Xml.element(xml, "MaxResults", Integer.toString(max));
              }
              xml.append("<Containers>");
              for (ContainerRecord c : page.items()) {
                xml.append("<Container>");
                Xml.element(xml, "Name", c.getName());
                xml.append("<Properties>");
                Xml.element(xml, "Last-Modified", HttpDates.rfc1123(c.getLastModifiedEpochMillis()));
                Xml.element(xml, "Etag", c.getEtag());
                LeaseHandler.appendXml(xml, c.hasLease(), c.getLease(), r.received().toEpochMilli());
                if (!c.getPublicAccess().isEmpty()) {
                  Xml.element(xml, "PublicAccess", c.getPublicAccess());
                }
                Xml.element(xml, "DefaultEncryptionScope", scopeName(c));
                Xml.element(xml, "DenyEncryptionScopeOverride", Boolean.toString(c.getDenyEncryptionScopeOverride()));
                Xml.element(xml, "HasImmutabilityPolicy", "false");
                Xml.element(xml, "HasLegalHold", "false");
                xml.append("</Properties>");
                if (withMetadata) {
                  appendMetadata(xml, c.getMetadataMap());
                }
                xml.append("</Container>");
              }
              xml.append("</Containers>");
              Xml.element(xml, "NextMarker", page.nextMarker());
              xml.append("</EnumerationResults>");
              r.endXml(200, xml.toString());
              return null;
            });
  }

  static void appendMetadata(StringBuilder xml, Map<String, String> metadata) {
    xml.append("<Metadata>");
    for (Map.Entry<String, String> m : new java.util.TreeMap<>(metadata).entrySet()) {
      Xml.element(xml, m.getKey(), m.getValue());
    }
    xml.append("</Metadata>");
  }

  static String serviceEndpoint(AzureRequest r) {
    String host = r.header("Host");
    return "http://" + (host == null ? "localhost" : host) + "/" + r.path().account() + "/";
  }

  /** A container write refused by the container's lease: Azure's 412. */
  static void requireLeaseOk(CommandStatus status) {
    io.cobalt.gateway.http.AzureException e = LeaseHandler.forWrite(status, true);
    if (e != null) {
      throw e;
    }
  }

  static void requireOk(CommandStatus status) {
    if (status != CommandStatus.OK) {
      throw new IllegalStateException("metadata command answered " + status);
    }
  }
}
