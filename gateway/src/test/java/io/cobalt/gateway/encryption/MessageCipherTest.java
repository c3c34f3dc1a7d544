package io.cobalt.gateway.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.crypto.kdf.HkdfSha256;
import io.cobalt.crypto.kdf.KdfInfo;
import io.cobalt.crypto.key.DataKey;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class MessageCipherTest {
  private final MessageCipher cipher = new MessageCipher(new SecureRandom());
  private final DataKey dek = DataKey.generate(new SecureRandom());
  private final byte[] queueId = new byte[16];
  private final byte[] messageId = filled(7);
  private final MessageCipher.MessageIdentity here = new MessageCipher.MessageIdentity("acct", queueId, messageId);

  private static byte[] filled(int b) {
    byte[] r = new byte[16];
    Arrays.fill(r, (byte) b);
    return r;
  }

  @Test
  void opensWhatItSealedAndAddsTheDocumentedOverhead() {
    byte[] body = "hello queue".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = cipher.seal(dek, here, body);
    assertEquals(body.length + MessageCipher.OVERHEAD, sealed.length);
    assertEquals(1 + 12 + 16, MessageCipher.OVERHEAD);
    assertArrayEquals(body, cipher.open(dek, here, sealed));
    assertArrayEquals(new byte[0], cipher.open(dek, here, cipher.seal(dek, here, new byte[0])));
  }

  /** The layout of docs/encryption-format.md §8b, rebuilt from its text with the JDK alone. */
  @Test
  void theSealedBodyIsTheDocumentedFormat() throws Exception {
    byte[] body = "format".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = cipher.seal(dek, here, body);
    byte[] info = new KdfInfo().utf8("cobalt/queue-message/v1").utf8("acct").bytes(queueId).bytes(messageId)
        .toByteArray();
    byte[] key = HkdfSha256.derive(dek.copyBytes(), null, info, 32);
    byte[] aad = new byte[1 + info.length];
    aad[0] = 1;
    System.arraycopy(info, 0, aad, 1, info.length);
    assertEquals(1, sealed[0], "version");
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, sealed, 1, 12));
    c.updateAAD(aad);
    assertArrayEquals(body, c.doFinal(sealed, 13, sealed.length - 13));
  }

  @Test
  void aBodyMovedToAnotherMessageQueueOrAccountFailsAuthentication() {
    byte[] sealed = cipher.seal(dek, here, "body".getBytes(StandardCharsets.UTF_8));
    for (MessageCipher.MessageIdentity elsewhere : new MessageCipher.MessageIdentity[] {
        new MessageCipher.MessageIdentity("acct", queueId, filled(8)),
        new MessageCipher.MessageIdentity("acct", filled(1), messageId),
        new MessageCipher.MessageIdentity("acct2", queueId, messageId)}) {
      assertThrows(MessageCipher.MessageAuthenticationException.class, () -> cipher.open(dek, elsewhere, sealed));
    }
    assertThrows(MessageCipher.MessageAuthenticationException.class,
        () -> cipher.open(DataKey.generate(new SecureRandom()), here, sealed), "another queue's key");
    for (int i = 0; i < sealed.length; i++) {
      byte[] altered = sealed.clone();
      altered[i] ^= 1;
      assertThrows(MessageCipher.MessageAuthenticationException.class, () -> cipher.open(dek, here, altered),
          "flipped byte " + i);
    }
  }
}
