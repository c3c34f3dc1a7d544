package io.cobalt.kms.backend.pkcs11;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.kms.keys.KeyBackend;
import io.cobalt.kms.keys.KeyBackendContract;
import io.cobalt.kms.keys.KeyState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.time.Clock;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key backend contract against a SoftHSM2 token, and what only the PKCS#11 backend promises. */
class Pkcs11KeyBackendTest extends KeyBackendContract {
  @TempDir Path dir;
  private Pkcs11Config config;

  @Override
  protected KeyBackend openBackend() throws Exception {
    String pin = SoftHsmToken.pin();
    Path pinFile = dir.resolve("pin");
    Files.writeString(pinFile, pin + "\n");
    config = Pkcs11Config.of(SoftHsmToken.LIBRARY, 0, pinFile, dir.resolve("pkcs11-keys.json"));
    return Pkcs11KeyBackend.open(config, random, Clock.systemUTC());
  }

  @Override
  protected KeyBackend reopen(KeyBackend old) throws Exception {
    close(old);
    return Pkcs11KeyBackend.open(config, random, Clock.systemUTC());
  }

  /** A second, independent view of the token, as an auditor would open it. */
  private KeyStore tokenView() throws Exception {
    Provider p = Security.getProvider("SunPKCS11")
        .configure(Pkcs11KeyBackend.providerConfig(SoftHsmToken.LIBRARY.toString(), 0));
    KeyStore ks = KeyStore.getInstance("PKCS11", p);
    ks.load(null, SoftHsmToken.pin().toCharArray());
    return ks;
  }

  @Test
  void generatesEachVersionInsideTheTokenAsANonExtractableKey() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    backend.rotate(id);
    KeyStore token = tokenView();
    for (int v = 1; v <= 2; v++) {
      Key k = token.getKey(Pkcs11KeyBackend.label(id, v), null);
      assertNotNull(k, "token object " + Pkcs11KeyBackend.label(id, v));
      assertEquals("AES", k.getAlgorithm());
      assertNull(k.getEncoded(), "a sensitive, non-extractable token key has no encoding");
    }
  }

  @Test
  void deletesTheTokenObjectOfADestroyedVersion() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    String label = Pkcs11KeyBackend.label(id, 1);
    assertTrue(Collections.list(tokenView().aliases()).contains(label));
    backend.setState(id, 1, KeyState.DISABLED);
    backend.destroy(id, 1);
    assertFalse(Collections.list(tokenView().aliases()).contains(label));
  }

  @Test
  void refusesToStartWhenTheTokenLostAKeyItsRecordsName() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    close(backend);
    tokenView().deleteEntry(Pkcs11KeyBackend.label(id, 1));
    IOException e = assertThrows(IOException.class, () -> Pkcs11KeyBackend.open(config, random, Clock.systemUTC()));
    assertTrue(e.getMessage().contains(Pkcs11KeyBackend.label(id, 1)), e.getMessage());
    backend = null;
  }

  /**
   * A wrong PIN cannot be shown here: PKCS#11 logins belong to the process, so once one backend has
   * logged in, SunPKCS11 does not log in again (see the report of issue 4). A missing PIN file is refused.
   */
  @Test
  void refusesToStartWithoutItsPinFile() {
    Pkcs11Config bad = Pkcs11Config.of(SoftHsmToken.LIBRARY, 0, dir.resolve("no-pin"), dir.resolve("other.json"));
    IOException e = assertThrows(IOException.class, () -> Pkcs11KeyBackend.open(bad, random, Clock.systemUTC()));
    assertTrue(e.getMessage().contains("PIN file"), e.getMessage());
  }
}
