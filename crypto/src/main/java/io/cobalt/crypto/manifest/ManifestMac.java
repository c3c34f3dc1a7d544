package io.cobalt.crypto.manifest;

import io.cobalt.crypto.kdf.HkdfSha256;
import io.cobalt.crypto.kdf.KdfInfo;
import io.cobalt.crypto.key.DataKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The MAC of a blob version's manifest: HMAC-SHA256 over the canonical manifest bytes (the
 * gateway's {@code io.cobalt.gateway.encryption.ManifestCodec} defines that encoding), under
 *
 * <pre>
 * manifestKey = HKDF-SHA256(ikm = DEK, salt = none (32 zero bytes),
 *                           info = KdfInfo("cobalt/manifest/v1", account, objectId, versionId), L = 32)
 * </pre>
 *
 * so a manifest verifies only for the object version (and DEK) it was written for. Stateless.
 */
public final class ManifestMac {
  public static final int MAC_LENGTH = 32;
  public static final int OBJECT_ID_LENGTH = 16;
  static final String KDF_LABEL = "cobalt/manifest/v1";
  private static final String HMAC = "HmacSHA256";

  private ManifestMac() {}

  /** HMAC-SHA256(manifestKey, canonicalManifest), 32 bytes. */
  public static byte[] compute(
      DataKey dek, String account, byte[] objectId, byte[] versionId, byte[] canonicalManifest) {
    Objects.requireNonNull(canonicalManifest, "canonicalManifest");
    byte[] key = deriveKey(dek, account, objectId, versionId);
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(new SecretKeySpec(key, HMAC));
      return mac.doFinal(canonicalManifest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is mandatory in every JDK", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * Recomputes the MAC and compares it in constant time ({@link MessageDigest#isEqual}); a MAC of
   * the wrong length is simply false.
   */
  public static boolean verify(
      DataKey dek,
      String account,
      byte[] objectId,
      byte[] versionId,
      byte[] canonicalManifest,
      byte[] mac) {
    Objects.requireNonNull(mac, "mac");
    byte[] expected = compute(dek, account, objectId, versionId, canonicalManifest);
    return MessageDigest.isEqual(expected, mac);
  }

  static byte[] deriveKey(DataKey dek, String account, byte[] objectId, byte[] versionId) {
    Objects.requireNonNull(dek, "dek");
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(objectId, "objectId");
    Objects.requireNonNull(versionId, "versionId");
    if (account.getBytes(StandardCharsets.UTF_8).length == 0) {
      throw new IllegalArgumentException("account must not be empty");
    }
    if (objectId.length != OBJECT_ID_LENGTH) {
      throw new IllegalArgumentException(
          "objectId must be " + OBJECT_ID_LENGTH + " bytes, was " + objectId.length);
    }
    if (versionId.length == 0) {
      throw new IllegalArgumentException("versionId must not be empty");
    }
    byte[] info =
        new KdfInfo().utf8(KDF_LABEL).utf8(account).bytes(objectId).bytes(versionId).toByteArray();
    byte[] ikm = dek.copyBytes();
    try {
      return HkdfSha256.derive(ikm, null, info, MAC_LENGTH);
    } finally {
      Arrays.fill(ikm, (byte) 0);
    }
  }
}
