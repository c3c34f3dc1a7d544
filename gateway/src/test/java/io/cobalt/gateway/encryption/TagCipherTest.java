package io.cobalt.gateway.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.crypto.key.DataKey;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class TagCipherTest {
  private final TagCipher cipher = new TagCipher(new SecureRandom());
  private final DataKey dek = DataKey.generate(new SecureRandom());
  private final byte[] container = new byte[16];
  private final byte[] version = new byte[16];
  private final byte[] tagsId = new byte[16];
  private final TagCipher.TagsIdentity here = new TagCipher.TagsIdentity("acct", container, "blob", version, tagsId);

  private static byte[] one(int last) {
    byte[] b = new byte[16];
    b[15] = (byte) last;
    return b;
  }

  @Test
  void opensWhatItSealed() {
    byte[] plain = "tags".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(plain, cipher.open(dek, here, cipher.seal(dek, here, plain)));
  }

  @Test
  void tagsMovedToAnotherBlobVersionOrReplacedTagsFailAuthentication() {
    byte[] sealed = cipher.seal(dek, here, "tags".getBytes(StandardCharsets.UTF_8));
    for (TagCipher.TagsIdentity elsewhere : new TagCipher.TagsIdentity[] {
        new TagCipher.TagsIdentity("acct2", container, "blob", version, tagsId),
        new TagCipher.TagsIdentity("acct", one(1), "blob", version, tagsId),
        new TagCipher.TagsIdentity("acct", container, "blob2", version, tagsId),
        new TagCipher.TagsIdentity("acct", container, "blob", one(2), tagsId),
        new TagCipher.TagsIdentity("acct", container, "blob", version, one(3))}) {
      assertThrows(TagCipher.TagsAuthenticationException.class, () -> cipher.open(dek, elsewhere, sealed));
    }
    assertThrows(TagCipher.TagsAuthenticationException.class,
        () -> cipher.open(DataKey.generate(new SecureRandom()), here, sealed), "another version's key");
    for (int i = 0; i < sealed.length; i++) {
      byte[] altered = sealed.clone();
      altered[i] ^= 1;
      assertThrows(TagCipher.TagsAuthenticationException.class, () -> cipher.open(dek, here, altered), "byte " + i);
    }
  }
}
