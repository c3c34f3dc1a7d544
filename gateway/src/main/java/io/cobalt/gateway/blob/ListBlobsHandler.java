package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.gateway.http.Xml;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * List Blobs, flat or hierarchical ({@code delimiter}, see {@link BlobHierarchy}): prefix, marker,
 * maxresults, include=metadata, include=snapshots (each blob's snapshots, oldest first, listed
 * before it with a {@code <Snapshot>} element, flat listings only; each snapshot counts toward
 * maxresults, and a NextMarker may resume between a blob's snapshots: ADR 0022) and include=tags (each tagged blob's tags unsealed at the gateway, ADR 0018); fans out
 * to every partition. With metadata or tags, a page is refused (403 KeyVaultEncryptionKeyNotFound)
 * while the key source of the account or of an encryption scope of one of its blobs is revoked (no
 * usable version, or deleted; ADR 0036 and its addendum: only the scopes in the page count);
 * without, keys do not matter.
 */
final class ListBlobsHandler {
  /** Accepted include values; metadata, snapshots and tags change the answer (the others have nothing to show yet). */
  private static final Set<String> INCLUDES =
      Set.of("metadata", "snapshots", "uncommittedblobs", "copy", "deleted", "tags", "versions",
          "deletedwithversions", "immutabilitypolicy", "legalhold", "permissions");

  private final BlobServices services;
  private final IndexTags tags;

  ListBlobsHandler(BlobServices services) {
    this.services = services;
    this.tags = new IndexTags(services);
  }

  Future<Void> list(AzureRequest r) {
    ResourceNames.requireContainerName(r.path().container());
    String prefix = PagedListing.boundedParam(r, "prefix", ResourceNames.MAX_BLOB_NAME_CHARS);
    String marker = PagedListing.boundedParam(r, "marker", ResourceNames.MAX_BLOB_NAME_CHARS + 1 + SNAPSHOT_TIME_CHARS);
    String delimiter = PagedListing.boundedParam(r, "delimiter", ResourceNames.MAX_BLOB_NAME_CHARS);
    int max = PagedListing.maxResults(r);
    Set<String> include = PagedListing.includes(r, INCLUDES);
    boolean withMetadata = include.contains("metadata");
    boolean withSnapshots = include.contains("snapshots");
    if (withSnapshots && !delimiter.isEmpty()) {
      // Azure lists snapshots in flat listings only (the SDKs refuse the combination themselves).
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "include");
    }
    boolean withTags = include.contains("tags");
    boolean withUncommitted = include.contains("uncommittedblobs");
    SnapshotMarker resume = withSnapshots && delimiter.isEmpty() ? SnapshotMarker.parse(marker) : null;
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
                      .setMaxResults(limit)
                      .setIncludeSnapshots(withSnapshots)
                      .setIncludeUncommitted(withUncommitted))
                  .build());
          if (resume != null) {
            return services.metadata().fanOut(
                r.context(),
                p -> MetadataQuery.newBuilder()
                    .setPartition(p)
                    .setListBlobs(ListBlobs.newBuilder()
                        .setAccount(container.getAccount())
                        .setContainerId(container.getContainerId())
                        .setPrefix(prefix)
                        .setMarker(resume.name())
                        .setMarkerSnapshot(resume.snapshot())
                        .setMaxResults(max)
                        .setIncludeSnapshots(true)
                        .setIncludeUncommitted(withUncommitted))
                    .build())
                .map(results -> mergeWithSnapshots(results, max));
          }
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
          if (!withMetadata && !withTags) {
            return Future.succeededFuture(page);
          }
          List<BlobRecord> listed = new ArrayList<>(page.entries().size());
          for (BlobHierarchy.Entry e : page.entries()) {
            if (e.blob() != null) {
              listed.add(e.blob());
            }
          }
          return services.requireListedKeysUsable(r, r.path().account(), listed).map(v -> page);
        })
        .compose(page -> {
          List<BlobRecord> tagged = new ArrayList<>();
          if (withTags) {
            for (BlobHierarchy.Entry e : page.entries()) {
              if (e.blob() != null && e.blob().getTagCount() > 0) {
                tagged.add(e.blob());
              }
            }
          }
          return tags.openAll(r, tagged).map(opened -> {
            Map<String, BlobTags> byName = new HashMap<>();
            for (int i = 0; i < tagged.size(); i++) {
              byName.put(tagged.get(i).getName(), opened.get(i));
            }
            r.endXml(200, xml(r, page, prefix, marker, max, delimiter, withMetadata, withTags ? byName : null));
            return (Void) null;
          });
        });
  }

  /** Characters of a snapshot time (ADR 0022): {@code 2026-11-29T08:12:19.1234567Z}. */
  static final int SNAPSHOT_TIME_CHARS = 28;
  /**
   * Separates a blob name from a snapshot time in a NextMarker that resumes between a blob's
   * snapshots. A tab: XML carries it, and no blob name contains one ({@link ResourceNames}).
   */
  static final char MARKER_SEPARATOR = '\t';

  /** Where a listing with snapshots resumes: after blob {@code name} ({@code snapshot} empty), or after that snapshot of it. */
  record SnapshotMarker(String name, String snapshot) {
    static SnapshotMarker parse(String marker) {
      int tab = marker.indexOf(MARKER_SEPARATOR);
      if (tab < 0) {
        return new SnapshotMarker(marker, "");
      }
      String name = marker.substring(0, tab);
      String time = marker.substring(tab + 1);
      if (name.isEmpty() || !SnapshotHandler.isSnapshotTime(time)) {
        throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "marker");
      }
      return new SnapshotMarker(name, time);
    }

    /** The NextMarker after {@code b}: its name, with its snapshot time if it is a snapshot. */
    static String after(BlobRecord b) {
      return b.getSnapshot().isEmpty() ? b.getName() : b.getName() + MARKER_SEPARATOR + b.getSnapshot();
    }
  }

  /**
   * Listing order with snapshots: by name (code points), a blob's snapshots oldest first, then the
   * blob itself (the order each node lists in).
   */
  static final java.util.Comparator<BlobRecord> SNAPSHOT_LISTING_ORDER = (a, b) -> {
    int byName = PagedListing.CODE_POINT_ORDER.compare(a.getName(), b.getName());
    if (byName != 0) {
      return byName;
    }
    if (a.getSnapshot().isEmpty() || b.getSnapshot().isEmpty()) {
      return Boolean.compare(a.getSnapshot().isEmpty(), b.getSnapshot().isEmpty());
    }
    return a.getSnapshot().compareTo(b.getSnapshot());
  };

  /**
   * One flat page from every partition's answer, where each snapshot and each blob counts as one
   * record: the first {@code max} records in listing order. Each partition answered its first
   * {@code max} records after the marker, so the first {@code max} of their union are the first
   * {@code max} of the container's. The NextMarker may fall between a blob's snapshots
   * ({@link SnapshotMarker}).
   */
  static BlobHierarchy.Page mergeWithSnapshots(List<io.cobalt.proto.node.v1.QueryResult> results, int max) {
    List<BlobRecord> all = new ArrayList<>();
    boolean truncated = false;
    for (io.cobalt.proto.node.v1.QueryResult q : results) {
      all.addAll(q.getBlobsList());
      truncated |= q.getTruncated();
    }
    all.sort(SNAPSHOT_LISTING_ORDER);
    int n = Math.min(max, all.size());
    List<BlobHierarchy.Entry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      entries.add(new BlobHierarchy.Entry(all.get(i), null));
    }
    boolean more = truncated || all.size() > max;
    String next = more && n > 0 ? SnapshotMarker.after(all.get(n - 1)) : null;
    return new BlobHierarchy.Page(entries, next);
  }

  private static String xml(
      AzureRequest r, BlobHierarchy.Page page, String prefix, String marker, int max, String delimiter,
      boolean withMetadata, Map<String, BlobTags> tags) {
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
      if (!b.getSnapshot().isEmpty()) {
        Xml.element(xml, "Snapshot", b.getSnapshot());
      }
      xml.append("<Properties>");
      Xml.element(xml, "Creation-Time", HttpDates.rfc1123(b.getCreatedEpochMillis()));
      Xml.element(xml, "Last-Modified", HttpDates.rfc1123(b.getLastModifiedEpochMillis()));
      if (!b.getEtag().isEmpty()) {
        Xml.element(xml, "Etag", b.getEtag()); // an uncommitted blob has none (ADR 0026)
      }
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
      Xml.element(xml, "BlobType", BlobHeaders.blobType(b));
      LeaseHandler.appendXml(xml, b.hasLease(), b.getLease(), r.received().toEpochMilli());
      Xml.element(xml, "ServerEncrypted", "true");
      if (AppendBlobHandler.isAppendBlob(b)) {
        Xml.element(xml, "Sealed", Boolean.toString(b.getSealed()));
      }
      if (b.getTagCount() > 0) {
        Xml.element(xml, "TagCount", Integer.toString(b.getTagCount()));
      }
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
      BlobTags blobTags = tags == null ? null : tags.get(b.getName());
      if (blobTags != null && !blobTags.isEmpty()) {
        xml.append("<Tags>");
        blobTags.appendTagSet(xml);
        xml.append("</Tags>");
      }
      xml.append("</Blob>");
    }
    xml.append("</Blobs>");
    Xml.element(xml, "NextMarker", page.nextMarker());
    xml.append("</EnumerationResults>");
    return xml.toString();
  }
}
