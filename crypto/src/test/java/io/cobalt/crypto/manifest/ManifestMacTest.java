package io.cobalt.crypto.manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.key.DataKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class ManifestMacTest {
  private static final String ACCOUNT = "devstoreaccount1";
  private static final byte[] OBJECT_ID = HexFormat.of().parseHex("101112131415161718191a1b1c1d1e1f");
  private static final byte[] VERSION_ID =
      "2026-01-02T03:04:05.0000006Z".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MANIFEST = manifest();

  private static byte[] manifest() {
    byte[] m = new byte[96];
    for (int i = 0; i < m.length; i++) {
      m[i] = (byte) (i * 7 + 3);
    }
    return m;
  }

  private static DataKey dek(int first) {
    byte[] b = new byte[32];
    for (int i = 0; i < 32; i++) {
      b[i] = (byte) (first + i);
    }
    return DataKey.of(b);
  }

  @Test
  void verifiesWhatItComputed() {
    try (DataKey dek = dek(0)) {
      byte[] mac = ManifestMac.compute(dek, ACCOUNT, OBJECT_ID, VERSION_ID, MANIFEST);
      assertEquals(32, mac.length);
      assertTrue(ManifestMac.verify(dek, ACCOUNT, OBJECT_ID, VERSION_ID, MANIFEST, mac));
      assertTrue(ManifestMac.verify(dek, ACCOUNT, OBJECT_ID, VERSION_ID, new byte[0],
          ManifestMac.compute(dek, ACCOUNT, OBJECT_ID, VERSION_ID, new byte[0])));
    }
  }

  @Test
  void failsOnEveryBitFlipTruncationAndExtensionOfTheManifest() {
    try (DataKey dek = dek(0)) {
      byte[] mac = ManifestMac.compute(dek, ACCOUNT, OBJECT_ID, VERSION_ID, MANIFEST);
      for (int bit = 0; bit < MANIFEST.length * 8; bit++) {
        byte[] changed = MANIFEST.clone();
        changed[bit >>> 3] ^= (byte) (1 << (bit & 7));
        assertFalse(
            ManifestMac.verify(dek, ACCOUNT, OBJECT_ID, VERSION_ID, changed, mac), "bit " + bit);
      }
      for (int n = 0; n < MANIFEST.length; n++) {
        assertFalse(
            ManifestMac.verify(dek, ACCOUNT, OBJECT_ID, VERSION_ID, Arrays.copyOf(MANIFEST, n), mac),
            "truncated to " + n);
      }
      assertFalse(
          ManifestMac.verify(
              dek, ACCOUNT, OBJECT_ID, VERSION_ID, Arrays.copyOf(MANIFEST, MANIFEST.length + 1), mac));
    }
  }

  @Test
  void failsForAnotherAccountObjectVersionOrDek() {
    byte[] mac;
    try (DataKey dek = dek(0)) {
      mac = ManifestMac.compute(dek, ACCOUNT, OBJECT_ID, VERSION_ID, MANIFEST);
      assertFalse(ManifestMac.verify(dek, ACCOUNT + "2", OBJECT_ID, VERSION_ID, MANIFEST, mac));
      assertFalse(ManifestMac.verify(dek, "Devstoreaccount1", OBJECT_ID, VERSION_ID, MANIFEST, mac));
      for (int bit = 0; bit < OBJECT_ID.length * 8; bit++) {
        byte[] otherObject = OBJECT_ID.clone();
        otherObject[bit >>> 3] ^= (byte) (1 << (bit & 7));
        assertFalse(
            ManifestMac.verify(dek, ACCOUNT, otherObject, VERSION_ID, MANIFEST, mac), "object bit " + bit);
      }
      for (int bit = 0; bit < VERSION_ID.length * 8; bit++) {
        byte[] otherVersion = VERSION_ID.clone();
        otherVersion[bit >>> 3] ^= (byte) (1 << (bit & 7));
        assertFalse(
            ManifestMac.verify(dek, ACCOUNT, OBJECT_ID, otherVersion, MANIFEST, mac), "version bit " + bit);
      }
      assertFalse(
          ManifestMac.verify(
              dek, ACCOUNT, OBJECT_ID, Arrays.copyOf(VERSION_ID, VERSION_ID.length - 1), MANIFEST, mac));
      // A shorter MAC, or a modified one, never verifies.
      assertFalse(ManifestMac.verify(dek, ACCOUNT, OBJECT_ID, VERSION_ID, MANIFEST, Arrays.copyOf(mac, 16)));
      byte[] flipped = mac.clone();
      flipped[31] ^= 1;
      assertFalse(ManifestMac.verify(dek, ACCOUNT, OBJECT_ID, VERSION_ID, MANIFEST, flipped));
    }
    for (int b = 0; b < 32; b++) {
      byte[] other = new byte[32];
      for (int i = 0; i < 32; i++) {
        other[i] = (byte) i;
      }
      other[b] ^= 1;
      try (DataKey otherDek = DataKey.of(other)) {
        assertFalse(
            ManifestMac.verify(otherDek, ACCOUNT, OBJECT_ID, VERSION_ID, MANIFEST, mac), "dek byte " + b);
      }
    }
  }

  @Test
  void fieldBoundariesCannotBeShifted() {
    // Plain concatenation would make (account "ab", version "c…") equal to (account "a", "bc…");
    // the length prefixes keep them apart. Here the shift is between account and object id.
    try (DataKey dek = dek(0)) {
      byte[] a = ManifestMac.compute(dek, "ab", OBJECT_ID, VERSION_ID, MANIFEST);
      byte[] b = ManifestMac.compute(dek, "a", OBJECT_ID, "b".getBytes(StandardCharsets.UTF_8), MANIFEST);
      assertFalse(Arrays.equals(a, b));
    }
  }

  @Test
  void matchesAnIndependentComputation() throws Exception {
    try (DataKey dek = dek(0)) {
      byte[] account = ACCOUNT.getBytes(StandardCharsets.UTF_8);
      byte[] label = "cobalt/manifest/v1".getBytes(StandardCharsets.US_ASCII);
      byte[] info =
          ByteBuffer.allocate(16 + label.length + account.length + OBJECT_ID.length + VERSION_ID.length)
              .putInt(label.length).put(label)
              .putInt(account.length).put(account)
              .putInt(OBJECT_ID.length).put(OBJECT_ID)
              .putInt(VERSION_ID.length).put(VERSION_ID)
              .array();
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(new SecretKeySpec(new byte[32], "HmacSHA256")); // HKDF without salt: 32 zero bytes
      byte[] prk = hmac.doFinal(dek.copyBytes());
      hmac.init(new SecretKeySpec(prk, "HmacSHA256"));
      hmac.update(info);
      hmac.update((byte) 1);
      byte[] key = hmac.doFinal();
      hmac.init(new SecretKeySpec(key, "HmacSHA256"));
      assertArrayEquals(
          hmac.doFinal(MANIFEST), ManifestMac.compute(dek, ACCOUNT, OBJECT_ID, VERSION_ID, MANIFEST));
    }
  }

  @Test
  void rejectsMalformedIdentity() {
    try (DataKey dek = dek(0)) {
      assertThrows(IllegalArgumentException.class,
          () -> ManifestMac.compute(dek, "", OBJECT_ID, VERSION_ID, MANIFEST));
      assertThrows(IllegalArgumentException.class,
          () -> ManifestMac.compute(dek, ACCOUNT, new byte[15], VERSION_ID, MANIFEST));
      assertThrows(IllegalArgumentException.class,
          () -> ManifestMac.compute(dek, ACCOUNT, OBJECT_ID, new byte[0], MANIFEST));
      assertThrows(NullPointerException.class,
          () -> ManifestMac.compute(dek, ACCOUNT, OBJECT_ID, VERSION_ID, null));
    }
  }
}
