package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.gateway.http.Xml;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * List Blobs, flat or hierarchical ({@code delimiter}, see {@link BlobHierarchy}): prefix, marker,
 * maxresults, include=metadata; fans out to every partition. With metadata, a page with blobs is refused
 * (403 KeyVaultEncryptionKeyNotFound) while the account's key is revoked (no usable version, or
 * deleted); without, keys do not matter.
 */
final class ListBlobsHandler {
  /** Accepted include values; only metadata changes the answer (the others have nothing to show yet). */
  private static final Set<String> INCLUDES =
      Set.of("metadata", "snapshots", "uncommittedblobs", "copy", "deleted", "tags", "versions",
          "deletedwithversions", "immutabilitypolicy", "legalhold", "permissions");

  private final BlobServices services;

  ListBlobsHandler(BlobServices services) {
    this.services = services;
  }

  Future<Void> list(AzureRequest r) {
    ResourceNames.requireContainerName(r.path().container());
    String prefix = PagedListing.boundedParam(r, "prefix", ResourceNames.MAX_BLOB_NAME_CHARS);
    String marker = PagedListing.boundedParam(r, "marker", ResourceNames.MAX_BLOB_NAME_CHARS);
    String delimiter = PagedListing.boundedParam(r, "delimiter", ResourceNames.MAX_BLOB_NAME_CHARS);
    int max = PagedListing.maxResults(r);
    boolean withMetadata = PagedListing.includesMetadata(r, INCLUDES);
    return services
        .requireContainer(r)
        .compose(container -> {
          BlobHierarchy.Source source = (after, limit) -> services.metadata().fanOut(
              r.context(),
              p -> MetadataQuery.newBuilder()
                  .setPartition(p)
                  .setListBlobs(ListBlobs.newBuilder()
                      .setAccount(container.getAccount())
                      .setContainerId(container.getContainerId())
                      .setPrefix(prefix)
                      .setMarker(after)
                      .setMaxResults(limit))
                  .build());
          if (delimiter.isEmpty()) {
            return source.list(marker, max).map(results -> {
              PagedListing<BlobRecord> page =
                  PagedListing.merge(results, q -> q.getBlobsList(), BlobRecord::getName, max);
              List<BlobHierarchy.Entry> entries = new ArrayList<>(page.items().size());
              for (BlobRecord b : page.items()) {
                entries.add(new BlobHierarchy.Entry(b, null));
              }
              return new BlobHierarchy.Page(entries, page.nextMarker());
            });
          }
          return BlobHierarchy.page(source, prefix, delimiter, marker, max);
        })
        .compose(page -> {
          if (!withMetadata) {
            return Future.succeededFuture(page);
          }
          boolean anyBlobs = page.entries().stream().anyMatch(e -> e.blob() != null);
          return services.requireAccountKeyUsable(r, r.path().account(), anyBlobs).map(v -> page);
        })
        .map(page -> {
          r.endXml(200, xml(r, page, prefix, marker, max, delimiter, withMetadata));
          return null;
        });
  }

  private static String xml(
      AzureRequest r, BlobHierarchy.Page page, String prefix, String marker, int max, String delimiter,
      boolean withMetadata) {
    StringBuilder xml = new StringBuilder(1024).append(Xml.DECLARATION);
    xml.append("<EnumerationResults ServiceEndpoint=\"")
        .append(Xml.escape(ContainerHandler.serviceEndpoint(r)))
        .append("\" ContainerName=\"")
        .append(Xml.escape(r.path().container()))
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
    if (!delimiter.isEmpty()) {
      Xml.element(xml, "Delimiter", delimiter);
    }
    xml.append("<Blobs>");
    for (BlobHierarchy.Entry e : page.entries()) {
      if (e.blob() == null) {
        xml.append("<BlobPrefix>");
        Xml.element(xml, "Name", e.prefix());
        xml.append("</BlobPrefix>");
        continue;
      }
      BlobRecord b = e.blob();
      xml.append("<Blob>");
      Xml.element(xml, "Name", b.getName());
      xml.append("<Properties>");
      Xml.element(xml, "Creation-Time", HttpDates.rfc1123(b.getCreatedEpochMillis()));
      Xml.element(xml, "Last-Modified", HttpDates.rfc1123(b.getLastModifiedEpochMillis()));
      Xml.element(xml, "Etag", b.getEtag());
      Xml.element(xml, "Content-Length", Long.toString(b.getContentLength()));
      Xml.element(xml, "Content-Type", b.getContentType());
      Xml.element(xml, "Content-Encoding", b.getContentEncoding());
      Xml.element(xml, "Content-Language", b.getContentLanguage());
      Xml.element(
          xml,
          "Content-MD5",
          b.getContentMd5().isEmpty() ? "" : Base64.getEncoder().encodeToString(b.getContentMd5().toByteArray()));
      Xml.element(xml, "Content-Disposition", b.getContentDisposition());
      Xml.element(xml, "Cache-Control", b.getCacheControl());
      Xml.element(xml, "BlobType", "BlockBlob");
      LeaseHandler.appendXml(xml, b.hasLease(), b.getLease(), r.received().toEpochMilli());
      Xml.element(xml, "ServerEncrypted", "true");
      if (!b.getEncryptionKeySha256().isEmpty()) {
        Xml.element(xml, "CustomerProvidedKeySha256",
            java.util.Base64.getEncoder().encodeToString(b.getEncryptionKeySha256().toByteArray()));
      }
      if (!b.getEncryptionScope().isEmpty()) {
        Xml.element(xml, "EncryptionScope", b.getEncryptionScope());
      }
      xml.append("</Properties>");
      if (withMetadata) {
        ContainerHandler.appendMetadata(xml, b.getMetadataMap());
      }
      xml.append("</Blob>");
    }
    xml.append("</Blobs>");
    Xml.element(xml, "NextMarker", page.nextMarker());
    xml.append("</EnumerationResults>");
    return xml.toString();
  }
}
