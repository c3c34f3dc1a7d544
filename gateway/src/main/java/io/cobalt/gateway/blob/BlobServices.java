package io.cobalt.gateway.blob;

import io.cobalt.gateway.encryption.BlobCipher;
import io.cobalt.gateway.encryption.CustomerKeyWrap;
import io.cobalt.gateway.encryption.KeyClient;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.nodeclient.ReplicatedChunkStore;
import io.cobalt.gateway.placement.MetadataRouter;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.vertx.core.Future;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * What the Blob handlers work with: metadata routing, replicated chunks, keys, the crypto pool,
 * the clock and randomness, and the limits.
 *
 * @param maxPutBlobBytes largest Put Blob body
 * @param maxInFlightChunksPerRequest chunks of one request being sealed/written at once (2)
 */
public record BlobServices(
    MetadataRouter metadata,
    ReplicatedChunkStore chunks,
    KeyClient keys,
    BlobCipher cipher,
    Clock clock,
    SecureRandom random,
    long maxPutBlobBytes,
    int maxInFlightChunksPerRequest) {

  /** The container named by the request, failing with 404 ContainerNotFound. */
  Future<ContainerRecord> requireContainer(AzureRequest r) {
    return metadata
        .container(r.context(), r.path().account(), r.path().container())
        .map(
            c -> {
              if (c == null) {
                throw AzureError.CONTAINER_NOT_FOUND.exception();
              }
              return c;
            });
  }

  /**
   * Completes if the key that protects {@code blob} may be used now, else fails as a data read would
   * (403 KeyVaultEncryptionKeyNotFound for a revoked key, 503 if the agent cannot be asked): Azure
   * refuses metadata under a revoked key as it refuses data. Asks the key's state (cached, kept fresh
   * by the agent's key events), never unwraps.
   */
  Future<Void> requireKeyUsable(AzureRequest r, BlobRecord blob) {
    if (blob.getDeksCount() == 0 || CustomerKeyWrap.isCustomerWrapped(blob.getDeks(0))) {
      // A customer key is checked against the blob's digest (BlobEncryption.requireMatching).
      return Future.succeededFuture();
    }
    return Future.fromCompletionStage(keys.requireUsable(blob.getAccount(), blob.getDeks(0), r.requestId()), r.context());
  }

  /**
   * For the blobs a listing returns metadata or tags of (one page of List Blobs, one scanned page of
   * Find Blobs by Tags): completes if the current key of every owner in the page is usable, else
   * fails as {@link #requireKeyUsable} (ADR 0036, addendum). The owners are the encryption scopes of
   * the listed blobs (each entry names its scope; "" is the account's own key): only the scopes
   * present in the page are checked, so a listing whose blobs are all under usable keys answers
   * although another scope's key is disabled. An owner's current key is its key source (ADR 0031):
   * its own key (some version usable), or the customer key it follows (the pinned version, or for
   * "latest" some version). Listings do not carry the blobs' wrapped keys (the nodes strip them), so
   * a revocation of one older version only is not seen here; a revocation of the key (every version
   * disabled, retired or destroyed, or the key deleted) is. An empty page needs no check. Every state
   * is cached and dropped by push like every key state (ADR 0014). When several owners are refused,
   * the first in scope-name order decides the answer.
   */
  Future<Void> requireListedKeysUsable(AzureRequest r, String account, Collection<BlobRecord> listed) {
    SortedSet<String> scopes = new TreeSet<>();
    for (BlobRecord b : listed) {
      scopes.add(b.getEncryptionScope());
    }
    if (scopes.isEmpty()) {
      return Future.succeededFuture();
    }
    List<CompletableFuture<Void>> checks = new ArrayList<>(scopes.size());
    for (String scope : scopes) {
      String owner = scope.isEmpty() ? "account/" + account : BlobScopes.keyId(account, scope);
      checks.add(requireOwnerKeyUsable(owner, r.requestId()));
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(checks.toArray(new CompletableFuture<?>[0]))
        .exceptionally(t -> null)
        .thenRun(() -> checks.forEach(CompletableFuture::join));
    return Future.fromCompletionStage(all, r.context());
  }

  /** Completes if the owner's ({@code account/<a>[/scope/<s>]}) current key may be used (see above). */
  private CompletableFuture<Void> requireOwnerKeyUsable(String ownerKeyId, String requestId) {
    return keys.keyStatus(ownerKeyId, requestId).thenCompose(s -> {
      if (!s.followsSource()) {
        s.requireSomeVersionUsable();
        return CompletableFuture.<Void>completedFuture(null);
      }
      return keys.keyStatus(s.sourceKeyId(), requestId).thenAccept(s::requireSourceUsable);
    });
  }

  /** Azure's largest block (Put Block), bounded by the configured largest Put Blob body. */
  static final long MAX_AZURE_BLOCK_BYTES = 4000L * 1024 * 1024;

  long maxBlockBytes() {
    return Math.min(MAX_AZURE_BLOCK_BYTES, maxPutBlobBytes);
  }

  int blobPartition(ContainerRecord container, String blob) {
    return metadata.placement().blobPartition(container.getAccount(), container.getName(), blob);
  }

  /**
   * The conditions of a write that creates or replaces a blob: the request's, plus "must not exist"
   * when the grant may create but not overwrite (a SAS with {@code c} and no {@code w}), so a
   * concurrent create is caught at the apply step.
   */
  Condition writeCondition(AzureRequest r) {
    Condition c = ConditionalHeaders.of(r);
    if (!r.grant().mayOverwriteBlobs()) {
      c = c.toBuilder().setIfNoneMatch(CREATE_ONLY).build();
    }
    return c;
  }

  /**
   * Maps the status of a command that wrote a blob version: ALREADY_EXISTS → 409 BlobAlreadyExists
   * (If-None-Match: *) or 403 AuthorizationPermissionMismatch (a create-only grant), CONDITION_NOT_MET
   * → 412, INVALID_BLOCK_LIST → 400, lease refusals → Azure's 412 lease codes.
   */
  void requireWritten(AzureRequest r, CommandStatus status) {
    io.cobalt.gateway.http.AzureException lease = LeaseHandler.forWrite(status, false);
    if (lease != null) {
      throw lease;
    }
    switch (status) {
      case OK -> { }
      case ALREADY_EXISTS -> throw r.grant().mayOverwriteBlobs()
          ? AzureError.BLOB_ALREADY_EXISTS.exception()
          : AzureError.AUTHORIZATION_PERMISSION_MISMATCH.exception();
      // x-ms-if-tags: the tags evaluated changed before the write applied (ADR 0018).
      case CONDITION_NOT_MET, TAGS_CHANGED -> throw AzureError.CONDITION_NOT_MET.exception();
      case NOT_FOUND -> throw AzureError.BLOB_NOT_FOUND.exception();
      case INVALID_BLOCK_LIST -> throw AzureError.INVALID_BLOCK_LIST.exception();
      case INVALID_BLOCK_ID -> throw AzureError.INVALID_BLOB_OR_BLOCK.exception();
      case BLOCK_COUNT_EXCEEDS_LIMIT -> throw AzureError.BLOCK_COUNT_EXCEEDS_LIMIT.exception();
      case INVALID_BLOB_TYPE -> throw AzureError.INVALID_BLOB_TYPE.exception(); // a block operation on an append blob
      default -> throw new IllegalStateException("metadata command answered " + status);
    }
  }

  private static final String CREATE_ONLY = "*";

  /** A fresh Azure-style ETag, quoted: {@code "0x<16 hex digits>"}. */
  String newEtag() {
    byte[] b = new byte[8];
    random.nextBytes(b);
    return "\"0x" + HexFormat.of().withUpperCase().formatHex(b) + "\"";
  }
}
