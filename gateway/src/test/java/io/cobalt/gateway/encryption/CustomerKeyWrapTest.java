package io.cobalt.gateway.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.key.DataKey;
import io.cobalt.proto.kms.v1.WrappedKey;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The CPK wrap of a DEK (ADR 0023): round trip, and every way a wrong key or a moved DEK is refused. */
class CustomerKeyWrapTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] CONTAINER = new byte[16];

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  @Test
  void roundTripsUnderTheSameKeyAndBlob() throws Exception {
    try (CustomerKey key = CustomerKey.of(bytes(32)); DataKey dek = DataKey.generate(RANDOM)) {
      WrappedKey w = CustomerKeyWrap.wrap(RANDOM, key, dek, "acct", CONTAINER, "blob");
      assertEquals(CustomerKeyWrap.KEY_ID, w.getKeyId());
      assertTrue(CustomerKeyWrap.isCustomerWrapped(w));
      assertArrayEquals(key.sha256(), w.getCpkKeySha256().toByteArray());
      assertEquals(CustomerKeyWrap.CIPHERTEXT_BYTES, w.getCiphertext().size());
      try (DataKey back = CustomerKeyWrap.unwrap(key, w, "acct", CONTAINER, "blob")) {
        assertArrayEquals(dek.copyBytes(), back.copyBytes());
      }
      // Two wraps of one DEK differ (fresh salt and nonce).
      assertFalse(w.getCiphertext().equals(CustomerKeyWrap.wrap(RANDOM, key, dek, "acct", CONTAINER, "blob").getCiphertext()));
    }
  }

  @Test
  void refusesAnotherKeyAnotherBlobAndTampering() throws Exception {
    try (CustomerKey key = CustomerKey.of(bytes(32)); CustomerKey other = CustomerKey.of(bytes(32));
        DataKey dek = DataKey.generate(RANDOM)) {
      WrappedKey w = CustomerKeyWrap.wrap(RANDOM, key, dek, "acct", CONTAINER, "blob");
      assertThrows(CustomerKeyWrap.MismatchException.class, () -> CustomerKeyWrap.unwrap(other, w, "acct", CONTAINER, "blob"));
      // The stored digest swapped for the presenter's: the GCM tag still refuses.
      WrappedKey swapped = w.toBuilder().setCpkKeySha256(ByteString.copyFrom(other.sha256())).build();
      assertThrows(CustomerKeyWrap.MismatchException.class,
          () -> CustomerKeyWrap.unwrap(other, swapped, "acct", CONTAINER, "blob"));
      // Moved to another blob, container or account.
      assertThrows(CustomerKeyWrap.MismatchException.class, () -> CustomerKeyWrap.unwrap(key, w, "acct", CONTAINER, "blob2"));
      assertThrows(CustomerKeyWrap.MismatchException.class,
          () -> CustomerKeyWrap.unwrap(key, w, "acct", bytes(16), "blob"));
      assertThrows(CustomerKeyWrap.MismatchException.class, () -> CustomerKeyWrap.unwrap(key, w, "other", CONTAINER, "blob"));
      // A flipped bit, a changed salt, a truncated ciphertext.
      byte[] ct = w.getCiphertext().toByteArray();
      ct[20] ^= 1;
      assertThrows(CustomerKeyWrap.MismatchException.class, () -> CustomerKeyWrap.unwrap(key,
          w.toBuilder().setCiphertext(ByteString.copyFrom(ct)).build(), "acct", CONTAINER, "blob"));
      assertThrows(CustomerKeyWrap.MismatchException.class, () -> CustomerKeyWrap.unwrap(key,
          w.toBuilder().setCpkSalt(ByteString.copyFrom(bytes(32))).build(), "acct", CONTAINER, "blob"));
      assertThrows(CustomerKeyWrap.MismatchException.class, () -> CustomerKeyWrap.unwrap(key,
          w.toBuilder().setCiphertext(w.getCiphertext().substring(0, 40)).build(), "acct", CONTAINER, "blob"));
    }
  }

  @Test
  void parsesAzureHeadersAndRefusesBadOnesWithoutEchoingTheKey() throws Exception {
    byte[] raw = bytes(32);
    String key = Base64.getEncoder().encodeToString(raw);
    String sha = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(raw));
    assertNull(CustomerKey.parse(null, null, null, true));
    try (CustomerKey k = CustomerKey.parse(key, sha, "AES256", true)) {
      assertEquals(sha, k.sha256Base64());
      assertFalse(k.toString().contains(key));
      assertFalse(k.toString().contains(sha));
    }
    try (CustomerKey k = CustomerKey.parse(key, sha, null, false)) {
      assertTrue(k.matches(MessageDigest.getInstance("SHA-256").digest(raw)));
    }
    String otherSha = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(bytes(32)));
    assertEquals("x-ms-encryption-key-sha256", refused(key, otherSha, "AES256").header());
    assertEquals("x-ms-encryption-key-sha256", refused(key, "!!", "AES256").header());
    assertEquals("x-ms-encryption-key", refused("not base64!", sha, "AES256").header());
    assertEquals("x-ms-encryption-key", refused(Base64.getEncoder().encodeToString(bytes(16)), sha, "AES256").header());
    assertEquals("x-ms-encryption-algorithm", refused(key, sha, "AES128").header());
    assertEquals("x-ms-encryption-algorithm", refused(key, sha, null).header());
    assertEquals("x-ms-encryption-key", refused(null, sha, "AES256").header());
    assertEquals("x-ms-encryption-key-sha256", refused(key, null, "AES256").header());
    CustomerKey.InvalidHeaderException e = refused(key, otherSha, "AES256");
    assertFalse(e.getMessage().contains(key));
  }

  private static CustomerKey.InvalidHeaderException refused(String key, String sha, String alg) {
    return assertThrows(CustomerKey.InvalidHeaderException.class, () -> CustomerKey.parse(key, sha, alg, true));
  }
}
