package io.cobalt.gateway.encryption;

import io.cobalt.crypto.kdf.KdfInfo;
import io.cobalt.crypto.key.DataKey;
import java.security.SecureRandom;

/**
 * Seals and opens the index tags of one blob version (docs/encryption-format.md, "Blob index
 * tags"; ADR 0018): a key derived with HKDF-SHA256 from the version's {@code deks[0]}, the tags'
 * identity (account, container id, blob name, version id, tags id) as HKDF info and as AES-256-GCM
 * associated data ({@link IdentitySeal}), so sealed tags moved to another blob, version, container
 * or account, or put back after they were replaced (another tags id), fail authentication.
 * Synchronous and CPU-bound: callers run it on the crypto pool.
 *
 * <pre>
 * info = KdfInfo: utf8 "cobalt/blob-tags/v1" | utf8 account | bytes container_id | utf8 blob name
 *                 | bytes version_id | bytes tags_id
 * </pre>
 */
public final class TagCipher {
  private static final String LABEL = "cobalt/blob-tags/v1";
  /** Bytes sealing adds to the encoded tags. */
  public static final int OVERHEAD = IdentitySeal.OVERHEAD;

  private final SecureRandom random;

  public TagCipher(SecureRandom random) {
    this.random = random;
  }

  /** What a blob's sealed tags are bound to. */
  public record TagsIdentity(String account, byte[] containerId, String blob, byte[] versionId, byte[] tagsId) {
    byte[] info() {
      return new KdfInfo().utf8(LABEL).utf8(account).bytes(containerId).utf8(blob).bytes(versionId).bytes(tagsId)
          .toByteArray();
    }
  }

  /** Thrown when sealed tags do not authenticate (altered, moved, or replayed under another tags id). */
  public static final class TagsAuthenticationException extends RuntimeException {
    TagsAuthenticationException(String message) {
      super(message, null, false, false);
    }
  }

  public byte[] seal(DataKey dek, TagsIdentity identity, byte[] plaintext) {
    return IdentitySeal.seal(random, dek, identity.info(), plaintext);
  }

  /** @throws TagsAuthenticationException if {@code sealed} is not a value sealed for {@code identity} under this key */
  public byte[] open(DataKey dek, TagsIdentity identity, byte[] sealed) {
    try {
      return IdentitySeal.open(dek, identity.info(), sealed);
    } catch (IdentitySeal.Failure e) {
      throw new TagsAuthenticationException("sealed blob tags " + e.getMessage());
    }
  }
}
