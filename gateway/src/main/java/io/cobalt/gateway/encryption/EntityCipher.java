package io.cobalt.gateway.encryption;

import io.cobalt.crypto.kdf.HkdfSha256;
import io.cobalt.crypto.kdf.KdfInfo;
import io.cobalt.crypto.key.DataKey;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens the properties of one table entity (docs/encryption-format.md, "Table entities"):
 * a per-entity key derived with HKDF-SHA256 from the table's DEK, the entity's identity (account,
 * table id, PartitionKey, RowKey) as HKDF info and as AES-256-GCM associated data, so a sealed
 * value moved to another entity, table or account fails authentication. Synchronous and CPU-bound:
 * callers run it on the crypto pool.
 *
 * <pre>
 * sealed = 0x01 (version) | nonce (12 random bytes) | AES-256-GCM(key, nonce, aad, plaintext) | tag (16)
 * info   = KdfInfo: utf8 "cobalt/table-entity/v1" | utf8 account | bytes table_id | utf8 PartitionKey | utf8 RowKey
 * key    = HKDF-SHA256(ikm = table DEK, salt = empty, info, 32)
 * aad    = 0x01 | info
 * </pre>
 */
public final class EntityCipher {
  static final byte VERSION = 1;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;
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
    byte[] info = identity.info();
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] key = derive(tableDek, info);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad(info));
      byte[] out = new byte[1 + NONCE_BYTES + c.getOutputSize(plaintext.length)];
      out[0] = VERSION;
      System.arraycopy(nonce, 0, out, 1, NONCE_BYTES);
      c.doFinal(plaintext, 0, plaintext.length, out, 1 + NONCE_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is mandatory in every JDK", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** @throws EntityAuthenticationException if {@code sealed} is not a value sealed for {@code identity} under this key */
  public byte[] open(DataKey tableDek, EntityIdentity identity, byte[] sealed) {
    if (sealed.length < 1 + NONCE_BYTES + TAG_BITS / 8 || sealed[0] != VERSION) {
      throw new EntityAuthenticationException("sealed entity properties are malformed");
    }
    byte[] info = identity.info();
    byte[] key = derive(tableDek, info);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, sealed, 1, NONCE_BYTES));
      c.updateAAD(aad(info));
      return c.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new EntityAuthenticationException("sealed entity properties fail authentication");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is mandatory in every JDK", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static byte[] derive(DataKey dek, byte[] info) {
    byte[] ikm = dek.copyBytes();
    try {
      return HkdfSha256.derive(ikm, null, info, 32);
    } finally {
      Arrays.fill(ikm, (byte) 0);
    }
  }

  private static byte[] aad(byte[] info) {
    byte[] aad = new byte[1 + info.length];
    aad[0] = VERSION;
    System.arraycopy(info, 0, aad, 1, info.length);
    return aad;
  }
}
