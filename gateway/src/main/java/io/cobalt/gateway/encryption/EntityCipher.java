package io.cobalt.gateway.encryption;

import io.cobalt.crypto.kdf.KdfInfo;
import io.cobalt.crypto.key.DataKey;
import java.security.SecureRandom;

/**
 * Seals and opens the properties of one table entity (docs/encryption-format.md, "Table entities"):
 * a per-entity key derived with HKDF-SHA256 from the table's DEK, the entity's identity (account,
 * table id, PartitionKey, RowKey) as HKDF info and as AES-256-GCM associated data, so a sealed
 * value moved to another entity, table or account fails authentication ({@link IdentitySeal}).
 * Synchronous and CPU-bound: callers run it on the crypto pool.
 *
 * <pre>
 * info   = KdfInfo: utf8 "cobalt/table-entity/v1" | utf8 account | bytes table_id | utf8 PartitionKey | utf8 RowKey
 * </pre>
 */
public final class EntityCipher {
  private static final String LABEL = "cobalt/table-entity/v1";

  private final SecureRandom random;

  public EntityCipher(SecureRandom random) {
    this.random = random;
  }

  /** Where an entity is: what its ciphertext is bound to. */
  public record EntityIdentity(String account, byte[] tableId, String partitionKey, String rowKey) {
    byte[] info() {
      return new KdfInfo().utf8(LABEL).utf8(account).bytes(tableId).utf8(partitionKey).utf8(rowKey).toByteArray();
    }
  }

  /** Thrown when a sealed value does not authenticate (altered, or moved from another identity). */
  public static final class EntityAuthenticationException extends RuntimeException {
    EntityAuthenticationException(String message) {
      super(message, null, false, false);
    }
  }

  public byte[] seal(DataKey tableDek, EntityIdentity identity, byte[] plaintext) {
    return IdentitySeal.seal(random, tableDek, identity.info(), plaintext);
  }

  /** @throws EntityAuthenticationException if {@code sealed} is not a value sealed for {@code identity} under this key */
  public byte[] open(DataKey tableDek, EntityIdentity identity, byte[] sealed) {
    try {
      return IdentitySeal.open(tableDek, identity.info(), sealed);
    } catch (IdentitySeal.Failure e) {
      throw new EntityAuthenticationException("sealed entity properties " + e.getMessage());
    }
  }
}
