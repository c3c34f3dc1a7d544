package io.cobalt.gateway.blob;

import io.cobalt.gateway.auth.ResponseHeaderOverrides;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.HttpDates;
import io.cobalt.proto.node.v1.BlobRecord;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Mapping between HTTP headers and blob/container properties and user metadata (x-ms-meta-*). */
public final class BlobHeaders {
  static final String META_PREFIX = "x-ms-meta-";
  static final int MAX_METADATA_BYTES = 8 * 1024;

  private BlobHeaders() {}

  /** User metadata from {@code x-ms-meta-*}: names must be C# identifiers; 8 KiB in total at most. */
  public static Map<String, String> userMetadata(HttpServerRequest req) {
    Map<String, String> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    int total = 0;
    for (Map.Entry<String, String> h : req.headers()) {
      String lower = h.getKey().toLowerCase(Locale.ROOT);
      if (!lower.startsWith(META_PREFIX)) {
        continue;
      }
      String name = h.getKey().substring(META_PREFIX.length());
      if (!isIdentifier(name) || out.containsKey(name)) {
        throw AzureError.INVALID_METADATA.exception();
      }
      total += name.getBytes(StandardCharsets.UTF_8).length + h.getValue().getBytes(StandardCharsets.UTF_8).length;
      if (total > MAX_METADATA_BYTES) {
        throw AzureError.METADATA_TOO_LARGE.exception();
      }
      out.put(name, h.getValue());
    }
    return out;
  }

  /** The x-ms-blob-content-* and x-ms-blob-cache-control headers of a write, onto {@code b}. */
  static BlobRecord.Builder contentProperties(BlobRecord.Builder b, io.cobalt.gateway.http.AzureRequest r) {
    return b.setContentType(PutBlobHandler.orEmpty(r.header("x-ms-blob-content-type"), "application/octet-stream"))
        .setContentEncoding(PutBlobHandler.orEmpty(r.header("x-ms-blob-content-encoding"), ""))
        .setContentLanguage(PutBlobHandler.orEmpty(r.header("x-ms-blob-content-language"), ""))
        .setContentDisposition(PutBlobHandler.orEmpty(r.header("x-ms-blob-content-disposition"), ""))
        .setCacheControl(PutBlobHandler.orEmpty(r.header("x-ms-blob-cache-control"), ""));
  }

  /** x-ms-blob-content-md5 (16 bytes, base64), or null; 400 InvalidHeaderValue otherwise. */
  static byte[] blobContentMd5(io.cobalt.gateway.http.AzureRequest r) {
    String v = r.header("x-ms-blob-content-md5");
    if (v == null || v.isEmpty()) {
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
    throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-blob-content-md5");
  }

  static boolean isIdentifier(String name) {
    if (name.isEmpty() || name.length() > 256 || !Character.isJavaIdentifierStart(name.charAt(0)) || name.charAt(0) == '$') {
      return false;
    }
    for (int i = 1; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!Character.isLetterOrDigit(c) && c != '_') {
        return false;
      }
    }
    return true;
  }

  public static void putMetadata(MultiMap headers, Map<String, String> metadata) {
    for (Map.Entry<String, String> m : metadata.entrySet()) {
      headers.set(META_PREFIX + m.getKey(), m.getValue());
    }
  }

  /** The properties headers of Get Blob / Get Blob Properties (without length and range). */
  static void putBlobProperties(MultiMap h, BlobRecord b, long now) {
    h.set("Last-Modified", HttpDates.rfc1123(b.getLastModifiedEpochMillis()));
    h.set("x-ms-creation-time", HttpDates.rfc1123(b.getCreatedEpochMillis()));
    h.set("ETag", b.getEtag());
    h.set("Content-Type", b.getContentType().isEmpty() ? "application/octet-stream" : b.getContentType());
    setIfPresent(h, "Content-Encoding", b.getContentEncoding());
    setIfPresent(h, "Content-Language", b.getContentLanguage());
    setIfPresent(h, "Content-Disposition", b.getContentDisposition());
    setIfPresent(h, "Cache-Control", b.getCacheControl());
    h.set("Accept-Ranges", "bytes");
    h.set("x-ms-blob-type", blobType(b));
    if (AppendBlobHandler.isAppendBlob(b)) {
      // Azure's committed block count of an append blob: one stream per appended block (ADR 0017).
      h.set("x-ms-blob-committed-block-count", Integer.toString(b.getStreamsCount()));
      h.set("x-ms-blob-sealed", Boolean.toString(b.getSealed()));
    }
    h.set("x-ms-server-encrypted", "true");
    putEncryption(h, b);
    LeaseHandler.putHeaders(h, b.hasLease(), b.getLease(), now);
    putCopyProperties(h, b);
    putMetadata(h, b.getMetadataMap());
    IndexTags.putTagCount(h, b);
  }

  /** The blob's type as Azure names it: AppendBlob, or BlockBlob (also for records older than the field). */
  static String blobType(BlobRecord b) {
    return AppendBlobHandler.isAppendBlob(b) ? AppendBlobHandler.APPEND_BLOB : "BlockBlob";
  }

  /** The x-ms-copy-* properties of a version written by a copy (ADR 0019); none otherwise. */
  static void putCopyProperties(MultiMap h, BlobRecord b) {
    if (b.getCopyId().isEmpty()) {
      return;
    }
    h.set("x-ms-copy-id", b.getCopyId());
    h.set("x-ms-copy-source", b.getCopySource());
    h.set("x-ms-copy-status", b.getCopyStatus());
    h.set("x-ms-copy-progress", b.getCopyBytes() + "/" + b.getCopyBytes());
    h.set("x-ms-copy-completion-time", HttpDates.rfc1123(b.getCopyCompletionEpochMillis()));
  }

  /**
   * {@code x-ms-encryption-key-sha256} (a blob written with a customer key) and
   * {@code x-ms-encryption-scope} (a blob written under a scope) as Azure returns them (ADR 0023).
   */
  static void putEncryption(MultiMap h, BlobRecord b) {
    if (!b.getEncryptionKeySha256().isEmpty()) {
      h.set("x-ms-encryption-key-sha256", Base64.getEncoder().encodeToString(b.getEncryptionKeySha256().toByteArray()));
    }
    if (!b.getEncryptionScope().isEmpty()) {
      h.set("x-ms-encryption-scope", b.getEncryptionScope());
    }
  }

  /** A service SAS's signed response headers (rscc, rscd, rsce, rscl, rsct) replace the stored ones. */
  static void applyOverrides(MultiMap h, ResponseHeaderOverrides o) {
    setIfPresent(h, "Cache-Control", o.cacheControl());
    setIfPresent(h, "Content-Disposition", o.contentDisposition());
    setIfPresent(h, "Content-Encoding", o.contentEncoding());
    setIfPresent(h, "Content-Language", o.contentLanguage());
    setIfPresent(h, "Content-Type", o.contentType());
  }

  static String md5Base64(BlobRecord b) {
    return b.getContentMd5().isEmpty() ? null : Base64.getEncoder().encodeToString(b.getContentMd5().toByteArray());
  }

  private static void setIfPresent(MultiMap h, String name, String value) {
    if (value != null && !value.isEmpty()) {
      h.set(name, value);
    }
  }
}
