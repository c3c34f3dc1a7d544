package io.cobalt.gateway.blob;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.gateway.encryption.CustomerKeyWrap;
import io.cobalt.gateway.encryption.TagCipher;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.gateway.http.AzureError;
import io.cobalt.gateway.http.AzureRequest;
import io.cobalt.gateway.nodeclient.ChunkIntegrityException;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.TagsSnapshot;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The gateway's side of blob index tags (docs/adr/0018-blob-index-tags.md). Tags are customer data:
 * nodes store them sealed ({@link TagCipher}, under a key derived from the version's
 * {@code deks[0]}, or from its own tags DEK for a customer-key blob), so everything that looks into them happens here, after unsealing: Get Blob Tags,
 * {@code include=tags}, Find Blobs by Tags and {@code x-ms-if-tags}.
 *
 * <p>{@code x-ms-if-tags} on a write is evaluated against the tags read, and the write is submitted
 * with a {@link TagsSnapshot} of them (version id and tags id): the partition's apply step refuses it
 * (TAGS_CHANGED) if the tags changed in between, so a conditional write never acts on tags that no
 * longer hold. The gateway answers that refusal 412 ConditionNotMet.
 */
final class IndexTags {
  /** Blobs whose tags are unsealed at once by one listing or Find request (each needs an unwrap). */
  static final int OPEN_CONCURRENCY = 8;

  private final BlobServices services;
  private final TagCipher cipher;

  IndexTags(BlobServices services) {
    this.services = services;
    this.cipher = new TagCipher(services.random());
  }

  /** The {@code x-ms-if-tags} header, or null; 400 InvalidHeaderValue if it does not parse. */
  static TagExpression ifTags(AzureRequest r) {
    String v = r.header("x-ms-if-tags");
    if (v == null) {
      return null;
    }
    try {
      return TagExpression.parse(v, TagExpression.Dialect.IF_TAGS);
    } catch (TagExpression.Invalid e) {
      throw AzureError.INVALID_HEADER_VALUE.exception("HeaderName", "x-ms-if-tags");
    }
  }

  /** The tags of {@code blob} (a record with deks[0], as Get Blob or a tagged listing entry has it). */
  Future<BlobTags> open(AzureRequest r, BlobRecord blob) {
    if (blob.getSealedTags().isEmpty()) {
      return Future.succeededFuture(BlobTags.NONE);
    }
    if (blob.getDeksCount() == 0) {
      return Future.failedFuture(new ChunkIntegrityException("tagged blob record has no data key"));
    }
    WrappedKey sealedUnder = tagsKeyOf(blob);
    if (sealedUnder == null) {
      // Sealed under deks[0] of a customer-key blob (a record written before tags DEKs, ADR 0018
      // §6): only the customer's key unwraps it.
      return Future.failedFuture(AzureError.BLOB_USES_CUSTOMER_SPECIFIED_ENCRYPTION.exception());
    }
    return Future.fromCompletionStage(services.keys().unwrap(blob.getAccount(), sealedUnder, r.requestId()),
            r.context())
        .compose(dek -> services.cipher().compute(() -> {
          try {
            return BlobTags.decode(cipher.open(dek, identity(blob), blob.getSealedTags().toByteArray()));
          } catch (TagCipher.TagsAuthenticationException | IllegalArgumentException e) {
            throw new ChunkIntegrityException("blob tags failed authentication");
          }
        }).eventually(() -> {
          dek.close();
          return Future.succeededFuture();
        }));
  }

  /**
   * The wrapped key the blob's tags are sealed under: its tags DEK if it has one (customer-key
   * blobs, ADR 0018 §6), else {@code deks[0]}; null if that is wrapped under a customer key.
   */
  static WrappedKey tagsKeyOf(BlobRecord blob) {
    if (blob.hasTagsDek()) {
      return blob.getTagsDek();
    }
    if (!blob.getEncryptionKeySha256().isEmpty() || CustomerKeyWrap.isCustomerWrapped(blob.getDeks(0))) {
      return null;
    }
    return blob.getDeks(0);
  }

  /** The tags of each blob, in order, unsealing at most {@link #OPEN_CONCURRENCY} at once. */
  Future<List<BlobTags>> openAll(AzureRequest r, List<BlobRecord> blobs) {
    List<BlobTags> out = new ArrayList<>(blobs.size());
    return openFrom(r, blobs, 0, out).map(v -> out);
  }

  private Future<Void> openFrom(AzureRequest r, List<BlobRecord> blobs, int from, List<BlobTags> out) {
    if (from >= blobs.size()) {
      return Future.succeededFuture();
    }
    int to = Math.min(blobs.size(), from + OPEN_CONCURRENCY);
    List<Future<BlobTags>> batch = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      batch.add(open(r, blobs.get(i)));
    }
    return Future.all(batch).compose(all -> {
      for (int i = 0; i < batch.size(); i++) {
        out.add(all.resultAt(i));
      }
      return openFrom(r, blobs, to, out);
    });
  }

  /** What sealed tags of this blob version are bound to. */
  static TagCipher.TagsIdentity identity(BlobRecord b) {
    return identity(b.getAccount(), b.getContainerId(), b.getName(), b.getVersionId(), b.getTagsId());
  }

  static TagCipher.TagsIdentity identity(
      String account, ByteString containerId, String name, ByteString versionId, ByteString tagsId) {
    return new TagCipher.TagsIdentity(account, containerId.toByteArray(), name, versionId.toByteArray(),
        tagsId.toByteArray());
  }

  /** A sealed form of {@code tags} for one version, or empty fields for no tags. */
  record Sealed(ByteString sealedTags, ByteString tagsId, int count, WrappedKey tagsDek) {
    static final Sealed NONE = new Sealed(ByteString.EMPTY, ByteString.EMPTY, 0, null);

    Sealed(ByteString sealedTags, ByteString tagsId, int count) {
      this(sealedTags, tagsId, count, null);
    }

    /** The tag fields of a record (with its tags DEK, if sealed under one). */
    BlobRecord.Builder into(BlobRecord.Builder b) {
      b.setSealedTags(sealedTags).setTagsId(tagsId).setTagCount(count);
      return tagsDek == null ? b.clearTagsDek() : b.setTagsDek(tagsDek);
    }
  }

  /**
   * Seals {@code tags} for a version of a customer-key blob (ADR 0018 §6): under a fresh DEK of the
   * account's key from the kms-agent, not under the blob's DEK, so that Set/Get/Find Blob Tags work
   * without the customer's key. The wrapped tags DEK travels in the result. No tags: nothing to
   * seal and no key drawn.
   */
  Future<Sealed> sealUnderTagsDek(AzureRequest r, String account, ByteString containerId, String name,
      ByteString versionId, BlobTags tags) {
    if (tags.isEmpty()) {
      return Future.succeededFuture(Sealed.NONE);
    }
    return Future.fromCompletionStage(services.keys().generate(account, r.requestId()), r.context())
        .compose(key -> seal(key.dek(), account, containerId, name, versionId, tags)
            .map(s -> new Sealed(s.sealedTags(), s.tagsId(), s.count(), key.wrapped()))
            .eventually(() -> {
              key.close();
              return Future.succeededFuture();
            }));
  }

  /**
   * Seals {@code tags} for the version ({@code account}, container, name, version id) under
   * {@code dek} with a fresh tags id, on the crypto pool. No tags: nothing to seal.
   */
  Future<Sealed> seal(DataKey dek, String account, ByteString containerId, String name, ByteString versionId,
      BlobTags tags) {
    if (tags.isEmpty()) {
      return Future.succeededFuture(Sealed.NONE);
    }
    ByteString tagsId = ByteString.copyFrom(services.cipher().newId());
    TagCipher.TagsIdentity id = identity(account, containerId, name, versionId, tagsId);
    return services.cipher().compute(() ->
        new Sealed(ByteString.copyFrom(cipher.seal(dek, id, tags.encode())), tagsId, tags.count()));
  }

  /** A read's {@code x-ms-if-tags}: 412 ConditionNotMet unless the blob's tags match. */
  Future<Void> requireRead(AzureRequest r, TagExpression ifTags, BlobRecord blob) {
    if (ifTags == null) {
      return Future.succeededFuture();
    }
    return open(r, blob).map(tags -> {
      if (!ifTags.matches(tags.tags())) {
        throw AzureError.CONDITION_NOT_MET.exception();
      }
      return null;
    });
  }

  /**
   * A write's {@code x-ms-if-tags}: reads the blob, evaluates the expression on its tags (none if
   * it does not exist), 412 ConditionNotMet if false; else {@code condition} with the snapshot the
   * apply step checks. Without the header, {@code condition} as it is.
   */
  Future<Condition> forWrite(AzureRequest r, ContainerRecord container, TagExpression ifTags, Condition condition) {
    if (ifTags == null) {
      return Future.succeededFuture(condition);
    }
    return services.metadata().blob(r.context(), container, r.path().blob()).compose(blob -> {
      Future<BlobTags> tags = blob == null ? Future.succeededFuture(BlobTags.NONE) : open(r, blob);
      return tags.map(t -> {
        if (!ifTags.matches(t.tags())) {
          throw AzureError.CONDITION_NOT_MET.exception();
        }
        TagsSnapshot.Builder seen = TagsSnapshot.newBuilder();
        if (blob != null) {
          seen.setVersionId(blob.getVersionId()).setTagsId(blob.getTagsId());
        }
        return condition.toBuilder().setIfTags(seen).build();
      });
    });
  }

  /** Sets {@code x-ms-tag-count} when the blob has tags (Get Blob, Get Blob Properties). */
  static void putTagCount(io.vertx.core.MultiMap headers, BlobRecord blob) {
    if (blob.getTagCount() > 0) {
      headers.set("x-ms-tag-count", Integer.toString(blob.getTagCount()));
    }
  }

  /** Tags of {@code tags} named by {@code keys} (what Find Blobs by Tags answers). */
  static BlobTags only(BlobTags tags, java.util.Set<String> keys) {
    java.util.TreeMap<String, String> out = new java.util.TreeMap<>();
    for (Map.Entry<String, String> t : tags.tags().entrySet()) {
      if (keys.contains(t.getKey())) {
        out.put(t.getKey(), t.getValue());
      }
    }
    return new BlobTags(out);
  }
}
