package io.cobalt.gateway.encryption;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.kdf.HkdfSha256;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.proto.kms.v1.WrappedKey;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A blob's DEK wrapped under a customer-provided key, in the gateway, for one request (ADR 0023,
 * docs/encryption-format.md §CPK). The kms-agent never sees such a DEK and the customer key is
 * never stored; only its SHA-256 is, so that a later request can be told whether it presents the
 * same key.
 *
 * <pre>
 * info       = "cobalt-cpk-v1" | u32 len | account (UTF-8) | u32 len | container_id | u32 len | blob name (UTF-8)
 * wrap key   = HKDF-SHA256(ikm = customer key, salt = cpk_salt (32 random bytes), info, 32)
 * ciphertext = nonce (12 random bytes) | AES-256-GCM(wrap key, nonce, aad = info | SHA-256(customer key), DEK) | tag (16)
 * WrappedKey = {key_id "cpk", key_version 0, ciphertext, cpk_key_sha256, cpk_salt}
 * </pre>
 *
 * The blob's identity in the associated data means a wrapped DEK copied into another blob's record
 * does not open; the digest in it means the stored digest cannot be swapped for another key's.
 */
public final class CustomerKeyWrap {
  public static final String KEY_ID = "cpk";
  static final byte[] LABEL = "cobalt-cpk-v1".getBytes(StandardCharsets.US_ASCII);
  static final int SALT_BYTES = 32;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;
  static final int CIPHERTEXT_BYTES = NONCE_BYTES + DataKey.LENGTH_BYTES + TAG_BITS / 8;

  /** The presented key is not the one the DEK was wrapped under (or the wrapped DEK is corrupt). */
  public static final class MismatchException extends Exception {
    public MismatchException(String message) {
      super(message, null, false, false);
    }
  }

  private CustomerKeyWrap() {}

  /** Whether {@code wrapped} is a DEK wrapped under a customer key (not by the kms-agent). */
  public static boolean isCustomerWrapped(WrappedKey wrapped) {
    return !wrapped.getCpkKeySha256().isEmpty() || KEY_ID.equals(wrapped.getKeyId());
  }

  /** {@code dek} wrapped under {@code key} for the blob (account, containerId, blobName). */
  public static WrappedKey wrap(
      SecureRandom random, CustomerKey key, DataKey dek, String account, byte[] containerId, String blobName) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] info = info(account, containerId, blobName);
    byte[] wrapKey = HkdfSha256.derive(key.keyBytes(), salt, info, 32);
    byte[] plain = dek.copyBytes();
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(wrapKey, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad(info, key.sha256()));
      byte[] out = new byte[CIPHERTEXT_BYTES];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      c.doFinal(plain, 0, plain.length, out, NONCE_BYTES);
      return WrappedKey.newBuilder()
          .setKeyId(KEY_ID)
          .setKeyVersion(0)
          .setCiphertext(ByteString.copyFrom(out))
          .setCpkKeySha256(ByteString.copyFrom(key.sha256()))
          .setCpkSalt(ByteString.copyFrom(salt))
          .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is mandatory in every JDK", e);
    } finally {
      Arrays.fill(wrapKey, (byte) 0);
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * The DEK inside {@code wrapped}, if {@code key} is the key it was wrapped under for this blob;
   * otherwise {@link MismatchException} (whose message never contains key material).
   */
  public static DataKey unwrap(
      CustomerKey key, WrappedKey wrapped, String account, byte[] containerId, String blobName)
      throws MismatchException {
    if (!key.matches(wrapped.getCpkKeySha256().toByteArray())) {
      throw new MismatchException("the presented key's SHA-256 is not the one the blob was written with");
    }
    byte[] ct = wrapped.getCiphertext().toByteArray();
    if (ct.length != CIPHERTEXT_BYTES || wrapped.getCpkSalt().size() != SALT_BYTES) {
      throw new MismatchException("malformed customer-wrapped key");
    }
    byte[] info = info(account, containerId, blobName);
    byte[] wrapKey = HkdfSha256.derive(key.keyBytes(), wrapped.getCpkSalt().toByteArray(), info, 32);
    byte[] plain = null;
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(wrapKey, "AES"), new GCMParameterSpec(TAG_BITS, ct, 0, NONCE_BYTES));
      c.updateAAD(aad(info, key.sha256()));
      plain = c.doFinal(ct, NONCE_BYTES, ct.length - NONCE_BYTES);
      return DataKey.of(plain);
    } catch (AEADBadTagException e) {
      throw new MismatchException("customer-wrapped key fails authentication for this blob");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is mandatory in every JDK", e);
    } finally {
      Arrays.fill(wrapKey, (byte) 0);
      if (plain != null) {
        Arrays.fill(plain, (byte) 0);
      }
    }
  }

  static byte[] info(String account, byte[] containerId, String blobName) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + blobName.length());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(LABEL);
      byte[] a = account.getBytes(StandardCharsets.UTF_8);
      out.writeInt(a.length);
      out.write(a);
      out.writeInt(containerId.length);
      out.write(containerId);
      byte[] n = blobName.getBytes(StandardCharsets.UTF_8);
      out.writeInt(n.length);
      out.write(n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static byte[] aad(byte[] info, byte[] sha256) {
    byte[] aad = Arrays.copyOf(info, info.length + sha256.length);
    System.arraycopy(sha256, 0, aad, info.length, sha256.length);
    return aad;
  }
}
