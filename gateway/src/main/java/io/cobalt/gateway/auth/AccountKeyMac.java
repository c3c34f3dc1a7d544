package io.cobalt.gateway.auth;

import io.cobalt.gateway.AccountKeys;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks a presented HMAC-SHA256 signature against both of an account's keys: every key is tried
 * (no early exit) and compared with {@link MessageDigest#isEqual} (constant time); key copies are
 * wiped. Shared Key, Shared Key Lite, service SAS and account SAS all sign this way.
 */
final class AccountKeyMac {
  private AccountKeyMac() {}

  static boolean verify(AccountKeys keys, String stringToSign, byte[] presented) {
    byte[] data = stringToSign.getBytes(StandardCharsets.UTF_8);
    boolean ok = matches(keys.key1(), data, presented);
    byte[] key2 = keys.key2();
    if (key2 != null) {
      ok |= matches(key2, data, presented);
    }
    return ok;
  }

  private static boolean matches(byte[] key, byte[] data, byte[] presented) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return MessageDigest.isEqual(mac.doFinal(data), presented);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is mandatory in every JDK", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }
}
