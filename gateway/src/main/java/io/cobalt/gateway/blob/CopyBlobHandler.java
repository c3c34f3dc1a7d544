package io.cobalt.gateway.blob;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.BlobCipher;
import io.cobalt.gateway.encryption.CustomerKey;
import io.cobalt.gateway.encryption.GeneratedKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureException;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.gateway.http.ResourcePath;
import io.cobalt.gateway.nodeclient.ChunkIntegrityException;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.PutBlob;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Copy Blob, Copy Blob From URL ({@code x-ms-requires-sync: true}) and Put Blob From URL
 * ({@code x-ms-blob-type} with {@code x-ms-copy-source}), within this service, all synchronous (ADR
 * 0019): the source is authorized as its own read would be ({@link CopySourceAccess}), looked up,
 * checked against the source conditions, its manifest MAC verified, then read chunk by chunk
 * ({@link SourceBlobStream}) into a new encrypted stream ({@link StreamWriter}) under a fresh DEK of
 * the destination's account and a new object id (chunk keys bind the object id, so no chunk can be
 * shared), and committed as a Put Blob with the destination's conditions. Plaintext exists only in
 * gateway memory, one source chunk and the chunks being sealed at a time. Abort Copy Blob answers
 * 409 NoPendingCopyOperation: no copy is ever pending.
 */
final class CopyBlobHandler {
  /** Which operation: they differ in source authorization, properties copied and response. */
  enum Mode {
    /** Copy Blob: 202; a same-account source may be read with the request's Shared Key. */
    COPY_BLOB,
    /** Copy Blob From URL: 202; the source must be public or carry a SAS. */
    COPY_FROM_URL,
    /** Put Blob From URL: 201; the source must be public or carry a SAS; not a copy (no x-ms-copy-*). */
    PUT_FROM_URL
  }

  /** Azure's limit on the length of x-ms-copy-source. */
  static final int MAX_SOURCE_URL_CHARS = 2048;
  private static final int MAX_SOURCE_QUERY_PARAMETERS = 64;

  private final BlobServices services;
  private final CopySourceAccess access;

  CopyBlobHandler(BlobServices services, CopySourceAccess access) {
    this.services = services;
    this.access = access;
  }

  /** The source URL, parsed: where it points in this service and what its query says. */
  record Source(String url, ResourcePath path, Map<String, List<String>> query) {
    /** The URL without its query string: what is stored and shown as x-ms-copy-source (no SAS kept). */
    String withoutQuery() {
      int q = url.indexOf('?');
      return q < 0 ? url : url.substring(0, q);
    }
  }

  Future<Void> copyBlob(AzureRequest r) {
    return copy(r, Mode.COPY_BLOB);
  }

  Future<Void> copyFromUrl(AzureRequest r) {
    return copy(r, Mode.COPY_FROM_URL);
  }

  Future<Void> putFromUrl(AzureRequest r) {
    return copy(r, Mode.PUT_FROM_URL);
  }

  /** PUT ?comp=copy&copyid=… with x-ms-copy-action: abort. */
  Future<Void> abort(AzureRequest r) {
    ResourceNames.requireBlobName(r.path().blob());
    if (r.queryParam("copyid") == null) {
      throw AzureError.MISSING_REQUIRED_QUERY_PARAMETER.exception("QueryParameterName", "copyid");
    }
    String action = r.header("x-ms-copy-action");
    if (action == null) {
      throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", "x-ms-copy-action");
    }
    if (!action.trim().equalsIgnoreCase("abort")) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-copy-action");
    }
    return services.requireContainer(r)
        .compose(container -> services.metadata().blob(r.context(), container, r.path().blob()))
        .map(blob -> {
          if (blob == null) {
            throw AzureError.BLOB_NOT_FOUND.exception();
          }
          throw AzureError.NO_PENDING_COPY_OPERATION.exception();
        });
  }

  private Future<Void> copy(AzureRequest r, Mode mode) {
    ResourceNames.requireBlobName(r.path().blob());
    if (mode == Mode.PUT_FROM_URL) {
      // Put Blob From URL makes block blobs only.
      if (!"BlockBlob".equals(OtherBlobTypesHandler.requireStoredBlobType(r))) {
        throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-blob-type");
      }
    }
    requireNoBody(r);
    Source source = parseSource(r);
    if (r.header("x-ms-copy-source-authorization") != null) {
      // OAuth for the source: Cobalt has no token issuer, so no bearer token can be verified.
      throw sourceFailure(r, AzureError.CANNOT_VERIFY_COPY_SOURCE_UNAUTHORIZED.exceptionWithMessage(
          "x-ms-copy-source-authorization is not supported: authorize the source with a SAS in its URL."));
    }
    Map<String, String> metadata = BlobHeaders.userMetadata(r.http());
    Condition destination = services.writeCondition(r);
    Condition sourceCondition = ConditionalHeaders.ofSource(r);
    StreamWriter.Expected expected = new StreamWriter.Expected(
        md5Header(r, "x-ms-source-content-md5"), crc64Header(r, "x-ms-source-content-crc64"));
    byte[] blobContentMd5 = mode == Mode.PUT_FROM_URL ? BlobHeaders.blobContentMd5(r) : null;
    boolean copyProperties = mode != Mode.PUT_FROM_URL || copySourceProperties(r);
    AzureRequest sourceView = r.copySource(source.path(), source.query());
    // Customer-provided keys (ADR 0023): Put Blob From URL takes one for the destination and one for
    // the source (x-ms-source-encryption-*, 2026-02-06); Copy Blob and Copy Blob From URL take
    // neither, so a source written with a key cannot be copied by them (409, as a read without it).
    CustomerKey cpk = mode == Mode.PUT_FROM_URL ? BlobEncryption.customerKey(r, true) : null;
    CustomerKey sourceCpk;
    try {
      sourceCpk = mode == Mode.PUT_FROM_URL ? BlobEncryption.sourceCustomerKey(r) : null;
    } catch (AzureException e) {
      if (cpk != null) {
        cpk.close();
      }
      throw e;
    }
    Future<Void> work = services.requireContainer(r)
        .compose(container -> PutBlobHandler.mayWrite(services, r, container))
        .compose(container -> BlobScopes.forWrite(services, r, container, cpk).compose(scope ->
            readable(r, sourceView, source, mode, sourceCondition, sourceCpk)
            .compose(src -> BlobEncryption.generate(services, r, container.getContainerId().toByteArray(),
                    r.path().blob(), cpk, scope.keyId())
                .compose(key -> write(r, mode, container, src, source, sourceCpk, key, cpk, scope.name(), expected,
                        metadata, destination, copyProperties, blobContentMd5)
                    .eventually(() -> {
                      key.close();
                      return Future.succeededFuture();
                    })))));
    return BlobEncryption.closing(sourceCpk, BlobEncryption.closing(cpk, work));
  }

  /**
   * The source record, if the source may be read: authorized, present, within the size limit and
   * meeting the source conditions. Failures of the source's own read become CannotVerifyCopySource
   * with that read's status.
   */
  private Future<BlobRecord> readable(
      AzureRequest r, AzureRequest sourceView, Source source, Mode mode, Condition condition, CustomerKey sourceCpk) {
    Future<Void> authorized;
    try {
      authorized = access.authorize(r, sourceView, mode == Mode.COPY_BLOB);
    } catch (AzureException e) {
      authorized = Future.failedFuture(e);
    }
    return authorized
        .compose(v -> {
          if (source.query().containsKey("snapshot") || source.query().containsKey("versionid")) {
            // No snapshots or versions exist yet (issue 5): the one named is not there.
            throw AzureError.CANNOT_VERIFY_COPY_SOURCE.exception();
          }
          return services.metadata().container(r.context(), source.path().account(), source.path().container());
        })
        .compose(container -> {
          if (container == null) {
            throw AzureError.CONTAINER_NOT_FOUND.exception();
          }
          return services.metadata().blob(r.context(), container, source.path().blob());
        })
        .recover(t -> Future.failedFuture(t instanceof AzureException e ? sourceFailure(r, e) : t))
        .map(blob -> {
          if (blob == null) {
            throw sourceFailure(r, AzureError.BLOB_NOT_FOUND.exception());
          }
          try {
            LeaseHandler.requireReadLease(condition, blob.hasLease(), blob.getLease(), false);
            if (ConditionalHeaders.read(condition, blob.getEtag(), blob.getLastModifiedEpochMillis())
                == ConditionalHeaders.ReadOutcome.NOT_MODIFIED) {
              throw AzureError.SOURCE_CONDITION_NOT_MET.exception();
            }
          } catch (AzureException e) {
            if (e.error() == AzureError.CONDITION_NOT_MET) {
              throw AzureError.SOURCE_CONDITION_NOT_MET.exception();
            }
            throw e;
          }
          if (blob.getContentLength() > services.maxPutBlobBytes()) {
            throw AzureError.REQUEST_BODY_TOO_LARGE.exceptionWithMessage(
                "The copy source is larger than the largest blob this service stores ("
                    + services.maxPutBlobBytes() + " bytes).");
          }
          if (blob.getDeksCount() == 0) {
            throw new ChunkIntegrityException("blob record has no data key");
          }
          // A source written with a customer key needs that key (x-ms-source-encryption-key, Put Blob
          // From URL only): 409 BlobUsesCustomerSpecifiedEncryption without it, as a read without it;
          // another key → 409 BlobCustomerSpecifiedEncryptionMismatch; a key for a source written
          // without one → 409 BlobDoesNotUseCustomerSpecifiedEncryption.
          BlobEncryption.requireMatching(blob, sourceCpk);
          return blob;
        });
  }

  /** Reads the source through a verified manifest into a new stream, then commits the new version. */
  private Future<Void> write(
      AzureRequest r, Mode mode, ContainerRecord container, BlobRecord src, Source source, CustomerKey sourceCpk,
      GeneratedKey key, CustomerKey cpk, String scope, StreamWriter.Expected expected, Map<String, String> metadata,
      Condition condition, boolean copyProperties, byte[] blobContentMd5) {
    return BlobEncryption.unwrap(services, r, src, 0, sourceCpk)
        .compose(sourceKey -> services.cipher().verifyManifest(sourceKey, src)
            .compose(valid -> {
              if (!valid) {
                throw new ChunkIntegrityException("manifest MAC mismatch (copy source)");
              }
              SourceBlobStream body = new SourceBlobStream(services, r, src, sourceKey, sourceCpk);
              byte[] objectId = services.cipher().newId();
              return new StreamWriter(services, r, body, key.dek(), objectId, src.getContentLength(),
                      services.maxPutBlobBytes(), expected)
                  .run()
                  .eventually(() -> {
                    body.close();
                    return Future.succeededFuture();
                  })
                  .map(written -> new Copied(objectId, written));
            })
            .onFailure(t -> closeQuietly(sourceKey)))
        .compose(copied -> commit(r, mode, container, src, source, key, cpk, scope, copied, expected, metadata,
            condition, copyProperties, blobContentMd5));
  }

  private record Copied(byte[] objectId, StreamWriter.Written written) {}

  private static void closeQuietly(DataKey key) {
    // The stream owns (and closes) the key once built; before that it is ours. Closing twice is harmless.
    key.close();
  }

  private Future<Void> commit(
      AzureRequest r, Mode mode, ContainerRecord container, BlobRecord src, Source source, GeneratedKey key,
      CustomerKey cpk, String scope, Copied copied, StreamWriter.Expected expected, Map<String, String> metadata, Condition condition,
      boolean copyProperties, byte[] blobContentMd5) {
    long now = services.clock().millis();
    StreamWriter.Written written = copied.written();
    BlobRecord.Builder b = BlobRecord.newBuilder();
    if (copyProperties) {
      b.setContentType(src.getContentType())
          .setContentEncoding(src.getContentEncoding())
          .setContentLanguage(src.getContentLanguage())
          .setContentDisposition(src.getContentDisposition())
          .setCacheControl(src.getCacheControl());
    } else {
      BlobHeaders.contentProperties(b, r);
    }
    if (mode == Mode.PUT_FROM_URL) {
      // Put Blob From URL: the request's content headers win over the source's.
      overrideIfPresent(r, "x-ms-blob-content-type", b::setContentType);
      overrideIfPresent(r, "x-ms-blob-content-encoding", b::setContentEncoding);
      overrideIfPresent(r, "x-ms-blob-content-language", b::setContentLanguage);
      overrideIfPresent(r, "x-ms-blob-content-disposition", b::setContentDisposition);
      overrideIfPresent(r, "x-ms-blob-cache-control", b::setCacheControl);
      b.setContentMd5(ByteString.copyFrom(blobContentMd5 != null ? blobContentMd5 : written.md5()));
      b.putAllMetadata(metadata);
    } else {
      // Copy Blob: the source's Content-MD5 property, and its metadata unless the request gives some.
      b.setContentMd5(src.getContentMd5());
      b.putAllMetadata(metadata.isEmpty() ? src.getMetadataMap() : metadata);
    }
    String copyId = new UUID(services.random().nextLong(), services.random().nextLong()).toString();
    if (mode != Mode.PUT_FROM_URL) {
      b.setCopyId(copyId)
          .setCopySource(source.withoutQuery())
          .setCopyStatus("success")
          .setCopyCompletionEpochMillis(now)
          .setCopyBytes(written.stream().getPlaintextLength());
    }
    BlobRecord unsigned = b
        .setAccount(container.getAccount())
        .setContainer(container.getName())
        .setContainerId(container.getContainerId())
        .setName(r.path().blob())
        .setObjectId(ByteString.copyFrom(copied.objectId()))
        .setVersionId(ByteString.copyFrom(services.cipher().newId()))
        .setContentLength(written.stream().getPlaintextLength())
        .setEtag(services.newEtag())
        .setCreatedEpochMillis(now)
        .setLastModifiedEpochMillis(now)
        .addDeks(key.wrapped())
        .addStreams(written.stream())
        .setBlobType("BlockBlob")
        .setEncryptionKeySha256(cpk == null ? ByteString.EMPTY : ByteString.copyFrom(cpk.sha256()))
        .setEncryptionScope(scope)
        .build();
    BlobRecord record = unsigned.toBuilder()
        .setManifestMac(ByteString.copyFrom(BlobCipher.manifestMac(key.dek(), unsigned)))
        .build();
    MetadataCommand command = MetadataCommand.newBuilder()
        .setPartition(services.blobPartition(container, r.path().blob()))
        .setRequestId(r.requestId())
        .setPutBlob(PutBlob.newBuilder().setBlob(record).setCondition(condition))
        .build();
    return services.metadata().submit(r.context(), command).map(result -> {
      services.requireWritten(r, result.getStatus());
      HttpServerResponse resp = r.response(mode == Mode.PUT_FROM_URL ? 201 : 202)
          .putHeader("ETag", record.getEtag())
          .putHeader("Last-Modified", HttpDates.rfc1123(now))
          .putHeader("x-ms-request-server-encrypted", "true")
          .putHeader("Content-Length", "0");
      if (mode != Mode.PUT_FROM_URL) {
        resp.putHeader("x-ms-copy-id", copyId).putHeader("x-ms-copy-status", "success");
      }
      Base64.Encoder b64 = Base64.getEncoder();
      if (mode == Mode.PUT_FROM_URL) {
        resp.putHeader("Content-MD5", b64.encodeToString(written.md5()));
      } else if (mode == Mode.COPY_FROM_URL && expected.md5() != null) {
        resp.putHeader("Content-MD5", b64.encodeToString(written.md5()));
      }
      if (mode != Mode.COPY_BLOB && written.crc64() != null) {
        resp.putHeader("x-ms-content-crc64", b64.encodeToString(written.crc64()));
      }
      BlobEncryption.putWriteHeaders(resp, cpk, scope);
      resp.end();
      return null;
    });
  }

  private static void overrideIfPresent(AzureRequest r, String header, java.util.function.Consumer<String> set) {
    String v = r.header(header);
    if (v != null) {
      set.accept(v);
    }
  }

  /** {@code x-ms-copy-source-blob-properties} (Put Blob From URL): true unless "false". */
  private static boolean copySourceProperties(AzureRequest r) {
    String v = r.header("x-ms-copy-source-blob-properties");
    if (v == null || v.trim().equalsIgnoreCase("true")) {
      return true;
    }
    if (v.trim().equalsIgnoreCase("false")) {
      return false;
    }
    throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-copy-source-blob-properties");
  }

  /** A copy has no body: Content-Length must be 0 (or absent). */
  private static void requireNoBody(AzureRequest r) {
    String cl = r.header("Content-Length");
    if (cl != null && !cl.trim().equals("0")) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "Content-Length");
    }
  }

  /**
   * x-ms-copy-source: an absolute http(s) URL of a blob of this endpoint (path-style
   * {@code /account/container/blob}, the authority this request was sent to). Malformed: 400
   * InvalidHeaderValue. Another service: 400 CannotVerifyCopySource, as the gateway has no egress.
   */
  static Source parseSource(AzureRequest r) {
    String raw = r.header("x-ms-copy-source");
    if (raw == null || raw.isBlank() || raw.length() > MAX_SOURCE_URL_CHARS) {
      throw invalidSource();
    }
    URI u;
    try {
      u = new URI(raw.trim());
    } catch (URISyntaxException e) {
      throw invalidSource();
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!u.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null
        || u.getRawUserInfo() != null || u.getRawPath() == null || u.getRawPath().isEmpty()) {
      throw invalidSource();
    }
    if (!sameEndpoint(r, u)) {
      throw sourceFailure(r, AzureError.CANNOT_VERIFY_COPY_SOURCE_INVALID.exceptionWithMessage(
          "Copy sources outside this service are not supported: the source URL must name this endpoint"
              + " (path-style, http(s)://host:port/account/container/blob)."));
    }
    ResourcePath path;
    try {
      path = ResourcePath.parse(u.getRawPath());
    } catch (AzureException e) {
      throw invalidSource();
    }
    if (path.container() == null || path.blob() == null) {
      throw invalidSource();
    }
    return new Source(raw.trim(), path, parseQuery(u.getRawQuery()));
  }

  /** Whether the URL names the host and port this request was sent to (default ports by scheme). */
  private static boolean sameEndpoint(AzureRequest r, URI u) {
    HostAndPort authority = r.http().authority();
    if (authority == null) {
      return false;
    }
    int requestPort = authority.port() >= 0 ? authority.port() : (r.secure() ? 443 : 80);
    int sourcePort = u.getPort() >= 0 ? u.getPort() : (u.getScheme().equalsIgnoreCase("https") ? 443 : 80);
    return stripBrackets(authority.host()).equalsIgnoreCase(stripBrackets(u.getHost())) && requestPort == sourcePort;
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  private static Map<String, List<String>> parseQuery(String raw) {
    Map<String, List<String>> out = new TreeMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    String[] pairs = raw.split("&");
    if (pairs.length > MAX_SOURCE_QUERY_PARAMETERS) {
      throw invalidSource();
    }
    try {
      for (String pair : pairs) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        out.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value);
      }
    } catch (IllegalArgumentException e) {
      throw invalidSource();
    }
    return out;
  }

  private static AzureException invalidSource() {
    return AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-copy-source");
  }

  /**
   * What the source's read got, as the copy answers it: CannotVerifyCopySource with that status
   * (404, 403, 401; 400 otherwise) and message, plus {@code x-ms-copy-source-status-code} and
   * {@code x-ms-copy-source-error-code} naming the source's own error.
   */
  static AzureException sourceFailure(AzureRequest r, AzureException e) {
    AzureError as = switch (e.error().status()) {
      case 404 -> AzureError.CANNOT_VERIFY_COPY_SOURCE;
      case 403 -> AzureError.CANNOT_VERIFY_COPY_SOURCE_FORBIDDEN;
      case 401 -> AzureError.CANNOT_VERIFY_COPY_SOURCE_UNAUTHORIZED;
      default -> AzureError.CANNOT_VERIFY_COPY_SOURCE_INVALID;
    };
    if (e.error().code().equals(as.code())) {
      as = e.error();
    } else {
      r.http().response().headers()
          .set("x-ms-copy-source-status-code", Integer.toString(e.error().status()))
          .set("x-ms-copy-source-error-code", e.error().code());
    }
    return as.exceptionWithMessage(e.azureMessage());
  }

  private static byte[] md5Header(AzureRequest r, String header) {
    String v = r.header(header);
    if (v == null) {
      return null;
    }
    try {
      byte[] b = Base64.getDecoder().decode(v.trim());
      if (b.length == 16) {
        return b;
      }
    } catch (IllegalArgumentException e) {
      // answered below
    }
    throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header);
  }

  private static byte[] crc64Header(AzureRequest r, String header) {
    String v = r.header(header);
    if (v == null) {
      return null;
    }
    try {
      byte[] b = Base64.getDecoder().decode(v.trim());
      if (b.length == 8) {
        return b;
      }
    } catch (IllegalArgumentException e) {
      // answered below
    }
    throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header);
  }
}
