package io.cobalt.gateway.blob;

import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.Xml;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.ListContainers;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.SetBlobTags;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Set Blob Tags and Get Blob Tags ({@code comp=tags}), and Find Blobs by Tags in the account
 * ({@code GET /?comp=blobs&where=}) and in a container ({@code ?restype=container&comp=blobs&where=});
 * docs/adr/0018-blob-index-tags.md. Tags are sealed by the gateway, so Find scans blob records and
 * unseals the tagged ones: its cost grows with the number of blobs scanned, which is bounded per
 * request ({@link #MAX_SCANNED_PER_REQUEST}); a request that reaches the bound answers what it found
 * with a NextMarker, as Azure may.
 */
final class TagsHandler {
  /** Blob records one Find request examines at most (then it answers with a NextMarker). */
  static final int MAX_SCANNED_PER_REQUEST = 5000;
  /** Names asked of each partition per listing round of a Find. */
  static final int SCAN_PAGE = 1000;
  /** Containers one account-level Find lists per round. */
  static final int CONTAINER_PAGE = 100;
  /** Set Blob Tags retries when the blob was overwritten between its read and the write. */
  static final int SET_ATTEMPTS = 3;

  private final BlobServices services;
  private final IndexTags tags;

  TagsHandler(BlobServices services, IndexTags tags) {
    this.services = services;
    this.tags = tags;
  }

  // ---------------------------------------------------------------- Set / Get Blob Tags

  /** PUT ?comp=tags → 204; the blob's ETag and Last-Modified do not change. */
  Future<Void> set(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    TagExpression ifTags = IndexTags.ifTags(r);
    Condition lease = leaseOnly(r);
    StreamWriter.Expected digests = StreamWriter.Expected.of(r);
    return services.requireContainer(r)
        .compose(container -> readBody(r).compose(body -> {
          digests.check(body);
          BlobTags wanted = BlobTags.fromXml(body);
          return setAttempt(r, container, wanted, ifTags, lease, SET_ATTEMPTS);
        }));
  }

  private Future<Void> setAttempt(AzureRequest r, ContainerRecord container, BlobTags wanted, TagExpression ifTags,
      Condition lease, int attempts) {
    String name = r.path().blob();
    return services.metadata().blob(r.context(), container, name).compose(blob -> {
      if (blob == null) {
        throw AzureError.BLOB_NOT_FOUND.exception();
      }
      Future<Condition> condition = tags.forWrite(r, container, ifTags, lease);
      return condition.compose(c -> seal(r, blob, name, wanted)
          .compose(sealed -> {
            SetBlobTags.Builder set = SetBlobTags.newBuilder()
                .setAccount(container.getAccount())
                .setContainerId(container.getContainerId())
                .setName(name)
                .setCondition(c)
                .setVersionId(blob.getVersionId())
                .setTagsId(sealed.tagsId())
                .setSealedTags(sealed.sealedTags())
                .setTagCount(sealed.count());
            if (sealed.tagsDek() != null) {
              set.setTagsDek(sealed.tagsDek());
            }
            return services.metadata().submit(r.context(), MetadataCommand.newBuilder()
                .setPartition(services.blobPartition(container, name))
                .setRequestId(r.requestId())
                .setSetBlobTags(set)
                .build());
          }))
          .compose(result -> {
            if (result.getStatus() == CommandStatus.TAGS_CHANGED && attempts > 1) {
              return setAttempt(r, container, wanted, ifTags, lease, attempts - 1);
            }
            services.requireWritten(r, result.getStatus());
            r.response(204).end();
            return Future.<Void>succeededFuture();
          });
    });
  }

  /**
   * Seals the tags for the blob's current version: under a fresh tags DEK of the account's key if
   * the blob uses a customer key (which the request need not carry, as in Azure; ADR 0018 §6),
   * else under the version's {@code deks[0]}.
   */
  private Future<IndexTags.Sealed> seal(AzureRequest r, BlobRecord blob, String name, BlobTags wanted) {
    if (!blob.getEncryptionKeySha256().isEmpty() || IndexTags.tagsKeyOf(blob) == null) {
      return tags.sealUnderTagsDek(r, blob.getAccount(), blob.getContainerId(), name, blob.getVersionId(), wanted);
    }
    return Future.fromCompletionStage(services.keys().unwrap(blob.getAccount(), blob.getDeks(0), r.requestId()),
            r.context())
        .compose(dek -> tags.seal(dek, blob.getAccount(), blob.getContainerId(), name, blob.getVersionId(), wanted)
            .eventually(() -> {
              dek.close();
              return Future.succeededFuture();
            }));
  }

  /** GET ?comp=tags → 200 with the Tags document. */
  Future<Void> get(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    TagExpression ifTags = IndexTags.ifTags(r);
    Condition lease = leaseOnly(r);
    return services.requireContainer(r)
        .compose(container -> services.metadata().blob(r.context(), container, r.path().blob()))
        .compose(blob -> {
          if (blob == null) {
            throw AzureError.BLOB_NOT_FOUND.exception();
          }
          LeaseHandler.requireReadLease(lease, blob.hasLease(), blob.getLease(), false);
          return services.requireKeyUsable(r, blob).compose(v -> tags.open(r, blob));
        })
        .map(t -> {
          if (ifTags != null && !ifTags.matches(t.tags())) {
            throw AzureError.CONDITION_NOT_MET.exception();
          }
          r.endXml(200, t.toXml());
          return null;
        });
  }

  /** Set/Get Blob Tags take x-ms-lease-id (and x-ms-if-tags); the ETag and date conditions do not apply. */
  private static Condition leaseOnly(AzureRequest r) {
    Condition all = ConditionalHeaders.of(r);
    Condition.Builder c = Condition.newBuilder().setNowEpochMillis(all.getNowEpochMillis());
    if (all.hasLeaseId()) {
      c.setLeaseId(all.getLeaseId());
    }
    return c.build();
  }

  private static Future<byte[]> readBody(AzureRequest r) {
    Promise<byte[]> done = Promise.promise();
    Buffer body = Buffer.buffer();
    var req = r.http();
    req.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      if (body.length() + chunk.length() > BlobTags.MAX_BODY_BYTES) {
        done.tryFail(AzureError.REQUEST_BODY_TOO_LARGE.exception());
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> done.tryComplete(body.getBytes()));
    req.exceptionHandler(done::tryFail);
    req.resume();
    return done.future();
  }

  // ---------------------------------------------------------------- Find Blobs by Tags

  /** A blob found, with the tags the expression names. */
  private record Found(String container, String name, BlobTags tags) {}

  /** Where a scan stands: the results so far, records examined, and where to resume (null: done). */
  private static final class Scan {
    final List<Found> found = new ArrayList<>();
    final int max;
    int scanned;
    String resumeContainer;
    String resumeBlob;

    Scan(int max) {
      this.max = max;
    }

    boolean full() {
      return found.size() >= max || scanned >= MAX_SCANNED_PER_REQUEST;
    }
  }

  /** GET ?restype=container&comp=blobs&where=... */
  Future<Void> findInContainer(AzureRequest r) {
    ResourceNames.requireContainerName(r.path().container());
    TagExpression where = where(r, TagExpression.Dialect.FIND_IN_CONTAINER);
    int max = PagedListing.maxResults(r);
    String[] marker = marker(r);
    if (marker != null && !marker[0].equals(r.path().container())) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "marker");
    }
    Scan scan = new Scan(max);
    return services.requireContainer(r)
        .compose(container -> scanContainer(r, container, where, marker == null ? "" : marker[1], scan))
        .map(v -> {
          r.endXml(200, xml(r, where, scan));
          return null;
        });
  }

  /** GET /?comp=blobs&where=... over every container of the account, in name order. */
  Future<Void> findInAccount(AzureRequest r) {
    TagExpression where = where(r, TagExpression.Dialect.FIND_IN_ACCOUNT);
    int max = PagedListing.maxResults(r);
    String[] marker = marker(r);
    Scan scan = new Scan(max);
    Future<Void> done;
    if (where.container() != null) {
      if (marker != null && !marker[0].equals(where.container())) {
        throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "marker");
      }
      done = services.metadata().container(r.context(), r.path().account(), where.container())
          .compose(c -> c == null ? Future.<Void>succeededFuture()
              : scanContainer(r, c, where, marker == null ? "" : marker[1], scan));
    } else if (marker != null) {
      // Finish the container the marker is in, then go on after it.
      done = services.metadata().container(r.context(), r.path().account(), marker[0])
          .compose(c -> c == null ? Future.<Void>succeededFuture() : scanContainer(r, c, where, marker[1], scan))
          .compose(v -> scan.full() && scan.resumeContainer != null
              ? Future.<Void>succeededFuture() : scanContainers(r, where, marker[0], scan));
    } else {
      done = scanContainers(r, where, "", scan);
    }
    return done.map(v -> {
      r.endXml(200, xml(r, where, scan));
      return null;
    });
  }

  /** Scans the account's containers named after {@code after}, one page of names at a time. */
  private Future<Void> scanContainers(AzureRequest r, TagExpression where, String after, Scan scan) {
    String account = r.path().account();
    return services.metadata().fanOut(r.context(), p -> MetadataQuery.newBuilder()
            .setPartition(p)
            .setListContainers(ListContainers.newBuilder()
                .setAccount(account).setMarker(after).setMaxResults(CONTAINER_PAGE))
            .build())
        .compose(results -> {
          PagedListing<ContainerRecord> page =
              PagedListing.merge(results, q -> q.getContainersList(), ContainerRecord::getName, CONTAINER_PAGE);
          return eachContainer(r, where, page.items(), 0, scan).compose(v -> {
            if (scan.full() && scan.resumeContainer != null) {
              return Future.<Void>succeededFuture();
            }
            if (page.nextMarker() == null) {
              scan.resumeContainer = null;
              return Future.<Void>succeededFuture();
            }
            return scanContainers(r, where, page.nextMarker(), scan);
          });
        });
  }

  private Future<Void> eachContainer(AzureRequest r, TagExpression where, List<ContainerRecord> containers, int i,
      Scan scan) {
    if (i >= containers.size()) {
      return Future.succeededFuture();
    }
    if (scan.full()) {
      // Budget spent right at a container boundary: resume at the start of this one.
      scan.resumeContainer = containers.get(i).getName();
      scan.resumeBlob = "";
      return Future.succeededFuture();
    }
    return scanContainer(r, containers.get(i), where, "", scan).compose(v ->
        scan.full() && scan.resumeContainer != null ? Future.<Void>succeededFuture()
            : eachContainer(r, where, containers, i + 1, scan));
  }

  /**
   * Scans one container's blobs named after {@code after} until the scan is full or the container
   * ends. Leaves {@code resumeContainer}/{@code resumeBlob} set if blobs of this container remain
   * unexamined, else clears them.
   */
  private Future<Void> scanContainer(AzureRequest r, ContainerRecord container, TagExpression where, String after,
      Scan scan) {
    int limit = Math.min(SCAN_PAGE, MAX_SCANNED_PER_REQUEST - scan.scanned);
    if (scan.found.size() >= scan.max || limit <= 0) {
      scan.resumeContainer = container.getName();
      scan.resumeBlob = after;
      return Future.succeededFuture();
    }
    return services.metadata().fanOut(r.context(), p -> MetadataQuery.newBuilder()
            .setPartition(p)
            .setListBlobs(ListBlobs.newBuilder()
                .setAccount(container.getAccount())
                .setContainerId(container.getContainerId())
                .setMarker(after)
                .setMaxResults(limit))
            .build())
        .compose(results -> {
          PagedListing<BlobRecord> page = PagedListing.merge(results, q -> q.getBlobsList(), BlobRecord::getName, limit);
          List<BlobRecord> tagged = new ArrayList<>();
          for (BlobRecord b : page.items()) {
            if (b.getTagCount() > 0) {
              tagged.add(b);
            }
          }
          Future<Void> keyCheck = services.requireListedKeysUsable(r, container.getAccount(), tagged);
          return keyCheck.compose(v -> tags.openAll(r, tagged)).compose(opened -> {
            int t = 0;
            String last = after;
            for (BlobRecord b : page.items()) {
              scan.scanned++;
              last = b.getName();
              if (b.getTagCount() > 0) {
                BlobTags bt = opened.get(t++);
                if (where.matches(bt.tags())) {
                  scan.found.add(new Found(container.getName(), b.getName(), IndexTags.only(bt, where.keys())));
                  if (scan.found.size() >= scan.max) {
                    break;
                  }
                }
              }
            }
            boolean examinedAll = last.equals(page.items().isEmpty() ? after
                : page.items().get(page.items().size() - 1).getName());
            boolean more = page.nextMarker() != null || !examinedAll;
            if (!more) {
              scan.resumeContainer = null;
              scan.resumeBlob = null;
              return Future.<Void>succeededFuture();
            }
            if (scan.full()) {
              scan.resumeContainer = container.getName();
              scan.resumeBlob = last;
              return Future.<Void>succeededFuture();
            }
            return scanContainer(r, container, where, last, scan);
          });
        });
  }

  private static TagExpression where(AzureRequest r, TagExpression.Dialect dialect) {
    String where = r.queryParam("where");
    if (where == null) {
      throw AzureError.MISSING_REQUIRED_QUERY_PARAMETER.exception("QueryParameterName", "where");
    }
    try {
      return TagExpression.parse(where, dialect);
    } catch (TagExpression.Invalid e) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "where");
    }
  }

  /** The opaque marker: base64url of {@code container NUL blob} (the last blob examined). */
  static String encodeMarker(String container, String blob) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((container + '\0' + blob).getBytes(StandardCharsets.UTF_8));
  }

  /** {container, blob} of the {@code marker} parameter, or null; 400 for one this gateway did not write. */
  private static String[] marker(AzureRequest r) {
    String m = r.queryParam("marker");
    if (m == null || m.isEmpty()) {
      return null;
    }
    try {
      if (m.length() > 4 * (ResourceNames.MAX_BLOB_NAME_CHARS + 64) * 3) {
        throw new IllegalArgumentException("too long");
      }
      String s = new String(Base64.getUrlDecoder().decode(m), StandardCharsets.UTF_8);
      int nul = s.indexOf('\0');
      if (nul <= 0) {
        throw new IllegalArgumentException("no container");
      }
      return new String[] {s.substring(0, nul), s.substring(nul + 1)};
    } catch (IllegalArgumentException e) {
      throw AzureError.INVALID_QUERY_PARAMETER_VALUE.exception("QueryParameterName", "marker");
    }
  }

  private static String xml(AzureRequest r, TagExpression where, Scan scan) {
    StringBuilder xml = new StringBuilder(512).append(Xml.DECLARATION);
    xml.append("<EnumerationResults ServiceEndpoint=\"")
        .append(Xml.escape(ContainerHandler.serviceEndpoint(r)))
        .append("\">");
    Xml.element(xml, "Where", r.queryParam("where"));
    xml.append("<Blobs>");
    for (Found f : scan.found) {
      xml.append("<Blob>");
      Xml.element(xml, "Name", f.name());
      Xml.element(xml, "ContainerName", f.container());
      xml.append("<Tags>");
      f.tags().appendTagSet(xml);
      xml.append("</Tags>");
      xml.append("</Blob>");
    }
    xml.append("</Blobs>");
    Xml.element(xml, "NextMarker",
        scan.resumeContainer == null ? "" : encodeMarker(scan.resumeContainer, scan.resumeBlob));
    xml.append("</EnumerationResults>");
    return xml.toString();
  }
}
