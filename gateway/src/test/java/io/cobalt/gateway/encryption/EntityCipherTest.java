package io.cobalt.gateway.encryption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.crypto.key.DataKey;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class EntityCipherTest {
  private final EntityCipher cipher = new EntityCipher(new SecureRandom());
  private final DataKey dek = DataKey.generate(new SecureRandom());
  private final byte[] tableId = new byte[16];
  private final EntityCipher.EntityIdentity here = new EntityCipher.EntityIdentity("acct", tableId, "pk", "rk");

  @Test
  void opensWhatItSealed() {
    byte[] plain = "{\"A\":1}".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(plain, cipher.open(dek, here, cipher.seal(dek, here, plain)));
  }

  @Test
  void aValueMovedToAnotherEntityTableOrAccountFailsAuthentication() {
    byte[] sealed = cipher.seal(dek, here, "{\"A\":1}".getBytes(StandardCharsets.UTF_8));
    byte[] otherTable = new byte[16];
    otherTable[15] = 1;
    for (EntityCipher.EntityIdentity elsewhere : new EntityCipher.EntityIdentity[] {
        new EntityCipher.EntityIdentity("acct", tableId, "pk", "rk2"),
        new EntityCipher.EntityIdentity("acct", tableId, "pkr", "k"),
        new EntityCipher.EntityIdentity("acct", otherTable, "pk", "rk"),
        new EntityCipher.EntityIdentity("acct2", tableId, "pk", "rk")}) {
      assertThrows(EntityCipher.EntityAuthenticationException.class, () -> cipher.open(dek, elsewhere, sealed));
    }
    assertThrows(EntityCipher.EntityAuthenticationException.class,
        () -> cipher.open(DataKey.generate(new SecureRandom()), here, sealed), "another table's key");
    for (int i = 0; i < sealed.length; i++) {
      byte[] altered = sealed.clone();
      altered[i] ^= 1;
      assertThrows(EntityCipher.EntityAuthenticationException.class, () -> cipher.open(dek, here, altered),
          "flipped byte " + i);
    }
  }
}
