package io.cobalt.gateway.blob;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.CustomerKey;
import io.cobalt.gateway.encryption.CustomerKeyWrap;
import io.cobalt.gateway.encryption.GeneratedKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;

/**
 * Customer-provided keys on Blob requests (ADR 0023): which key a request presents, fresh DEKs for
 * writes under it, unwrapping under it, and the checks of a presented key against a stored blob.
 * The customer key lives for the request only; its SHA-256 is what records keep.
 */
final class BlobEncryption {
  static final String KEY = "x-ms-encryption-key";
  static final String KEY_SHA256 = "x-ms-encryption-key-sha256";
  static final String ALGORITHM = "x-ms-encryption-algorithm";
  static final String SOURCE_KEY = "x-ms-source-encryption-key";
  static final String SOURCE_KEY_SHA256 = "x-ms-source-encryption-key-sha256";
  static final String SOURCE_ALGORITHM = "x-ms-source-encryption-algorithm";

  private BlobEncryption() {}

  /**
   * The request's customer key, or null. Refuses with 400 a key over plain HTTP (Azure requires
   * HTTPS for CPK), and with 400 InvalidHeaderValue (naming the header, never its value) a key that
   * is not base64 of 32 bytes, a digest that is not the key's, a missing header, or an algorithm
   * other than AES256 (required on writes, optional on reads, as Azure).
   */
  static CustomerKey customerKey(AzureRequest r, boolean write) {
    String key = r.header(KEY);
    String sha = r.header(KEY_SHA256);
    String alg = r.header(ALGORITHM);
    if (key == null && sha == null && alg == null) {
      return null;
    }
    if (!r.secure()) {
      throw AzureError.CUSTOMER_KEY_REQUIRES_HTTPS.exception();
    }
    try {
      return CustomerKey.parse(key, sha, alg, write);
    } catch (CustomerKey.InvalidHeaderException e) {
      if (e.getMessage().equals("missing")) {
        throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", e.header());
      }
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", e.header());
    }
  }

  /** Wipes the key when the request's future completes. */
  static <T> Future<T> closing(CustomerKey key, Future<T> work) {
    if (key == null) {
      return work;
    }
    return work.eventually(() -> {
      key.close();
      return Future.succeededFuture();
    });
  }

  /**
   * A fresh DEK for a write to blob {@code name} of the container {@code containerId}: wrapped under
   * the customer key in the gateway when there is one (the kms-agent never sees it), else generated
   * by the kms-agent under {@code keyId} ("" = the account's key).
   */
  static Future<GeneratedKey> generate(
      BlobServices services, AzureRequest r, byte[] containerId, String name, CustomerKey cpk, String keyId) {
    String account = r.path().account();
    if (cpk != null) {
      return services.cipher().compute(() -> {
        DataKey dek = DataKey.generate(services.random());
        try {
          return new GeneratedKey(dek, CustomerKeyWrap.wrap(services.random(), cpk, dek, account, containerId, name));
        } catch (RuntimeException e) {
          dek.close();
          throw e;
        }
      });
    }
    return Future.fromCompletionStage(services.keys().generate(account, keyId, r.requestId()), r.context());
  }

  /**
   * The DEK {@code wrapped} of blob {@code name} in {@code containerId}: under the request's customer
   * key if it was wrapped under one (409 BlobUsesCustomerSpecifiedEncryption without a key, 409
   * BlobCustomerSpecifiedEncryptionMismatch with another), else by the kms-agent.
   */
  static Future<DataKey> unwrap(
      BlobServices services, AzureRequest r, byte[] containerId, String name, WrappedKey wrapped, CustomerKey cpk) {
    return unwrap(services, r, r.path().account(), containerId, name, wrapped, cpk);
  }

  private static Future<DataKey> unwrap(BlobServices services, AzureRequest r, String account, byte[] containerId,
      String name, WrappedKey wrapped, CustomerKey cpk) {
    if (CustomerKeyWrap.isCustomerWrapped(wrapped)) {
      if (cpk == null) {
        return Future.failedFuture(AzureError.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION.exception());
      }
      return services.cipher().compute(() -> {
        try {
          return CustomerKeyWrap.unwrap(cpk, wrapped, account, containerId, name);
        } catch (CustomerKeyWrap.MismatchException e) {
          throw AzureError.BLOB_CUSTOMER_SPECIFIED_ENCRYPTION_MISMATCH.exception();
        }
      });
    }
    return Future.fromCompletionStage(services.keys().unwrap(account, wrapped, r.requestId()), r.context());
  }

  /**
   * As {@link #unwrap} for a DEK of a stored blob record, of the record's account (a copy source's
   * may differ from the request's).
   */
  static Future<DataKey> unwrap(BlobServices services, AzureRequest r, BlobRecord blob, int index, CustomerKey cpk) {
    return unwrap(services, r, blob.getAccount(), blob.getContainerId().toByteArray(), blob.getName(),
        blob.getDeks(index), cpk);
  }

  /**
   * The source's customer key of Put Blob From URL ({@code x-ms-source-encryption-key},
   * {@code -key-sha256}, {@code -algorithm}; service version 2026-02-06), or null; checked as
   * {@link #customerKey} checks the destination's.
   */
  static CustomerKey sourceCustomerKey(AzureRequest r) {
    String key = r.header(SOURCE_KEY);
    String sha = r.header(SOURCE_KEY_SHA256);
    String alg = r.header(SOURCE_ALGORITHM);
    if (key == null && sha == null && alg == null) {
      return null;
    }
    if (!r.secure()) {
      throw AzureError.CUSTOMER_KEY_REQUIRES_HTTPS.exception();
    }
    try {
      return CustomerKey.parse(key, sha, alg, false);
    } catch (CustomerKey.InvalidHeaderException e) {
      String header = "x-ms-source-" + e.header().substring("x-ms-".length());
      if (e.getMessage().equals("missing")) {
        throw AzureError.MISSING_REQUIRED_HEADER.exception("HeaderName", header);
      }
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", header);
    }
  }

  /**
   * A request on an existing blob presents the right customer key, as Azure checks it on reads of
   * data and properties and on Set Blob Metadata: a blob written with a key needs that key (409
   * BlobUsesCustomerSpecifiedEncryption without one, 409 BlobCustomerSpecifiedEncryptionMismatch
   * with another); a blob written without one refuses a key (409
   * BlobDoesNotUseCustomerSpecifiedEncryption).
   */
  static void requireMatching(BlobRecord blob, CustomerKey cpk) {
    boolean stored = !blob.getEncryptionKeySha256().isEmpty();
    if (stored && cpk == null) {
      throw AzureError.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION.exception();
    }
    if (!stored && cpk != null) {
      throw AzureError.BLOB_DOES_NOT_USE_CUSTOMER_SPECIFIED_ENCRYPTION.exception();
    }
    if (stored && !cpk.matches(blob.getEncryptionKeySha256().toByteArray())) {
      throw AzureError.BLOB_CUSTOMER_SPECIFIED_ENCRYPTION_MISMATCH.exception();
    }
  }

  /** The response headers of a write: Azure echoes the key's digest and the scope. */
  static void putWriteHeaders(HttpServerResponse resp, CustomerKey cpk, String scope) {
    if (cpk != null) {
      resp.putHeader(KEY_SHA256, cpk.sha256Base64());
    }
    if (scope != null && !scope.isEmpty()) {
      resp.putHeader("x-ms-encryption-scope", scope);
    }
  }
}
