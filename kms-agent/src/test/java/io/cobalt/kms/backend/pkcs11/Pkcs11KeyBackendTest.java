package io.cobalt.kms.backend.pkcs11;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.kms.keys.KeyBackend;
import io.cobalt.kms.keys.KeyBackendContract;
import io.cobalt.kms.FakeClock;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.cobalt.kms.keys.KeyState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
  void answersUnavailableNamingTheObjectWhenTheTokenLostAKeyItsRecordsName() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    close(backend);
    tokenView().deleteEntry(Pkcs11KeyBackend.label(id, 1));
    backend = Pkcs11KeyBackend.open(config, random, Clock.systemUTC()); // start does not touch the token
    assertTrue(backend.describe(id).isPresent(), "the agent's own records answer without the token");
    KeyOperationException e = assertThrows(KeyOperationException.class,
        () -> backend.encrypt(id, 1, dek(), context(id, 1, "o")));
    assertEquals(Kind.BACKEND_UNAVAILABLE, e.kind());
    assertTrue(e.getMessage().contains(Pkcs11KeyBackend.label(id, 1)), e.getMessage());
  }

  /**
   * The agent's start does not depend on the HSM (issue 4): without its PIN (the token cannot be
   * logged in to) the backend opens, describes its keys from its own records, and answers every call
   * that needs the token BACKEND_UNAVAILABLE; a failed attempt is retried only after its back-off,
   * and once the token can be opened the next call opens it and works. A wrong PIN cannot be shown
   * here: PKCS#11 logins belong to the process, so once one backend has logged in, SunPKCS11 does not
   * log in again (see the report of issue 4).
   */
  @Test
  void opensTheTokenOnFirstUseAndRetriesWithBackOff() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    byte[] dek = dek();
    byte[] wrapped = backend.encrypt(id, 1, dek, context(id, 1, "o"));
    close(backend);
    backend = null;

    Path pinFile = dir.resolve("pin-later");
    Pkcs11Config later = Pkcs11Config.of(SoftHsmToken.LIBRARY, 0, pinFile, config.metadataFile());
    FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    Pkcs11KeyBackend lazy = Pkcs11KeyBackend.open(later, random, clock);
    backend = lazy;
    assertFalse(lazy.tokenOpen());
    assertEquals(KeyState.ENABLED, lazy.describe(id).orElseThrow().versions().get(0).state());
    assertTrue(lazy.keyIds().contains(id));

    KeyOperationException first = assertThrows(KeyOperationException.class,
        () -> lazy.decrypt(id, 1, wrapped, context(id, 1, "o")));
    assertEquals(Kind.BACKEND_UNAVAILABLE, first.kind());
    assertTrue(first.retriable());
    assertTrue(first.getMessage().contains("PIN file"), first.getMessage());
    assertEquals(Kind.BACKEND_UNAVAILABLE, refusal(() -> lazy.createIfAbsent(newKeyId())));
    assertEquals(Kind.BACKEND_UNAVAILABLE, refusal(() -> lazy.rotate(id)));

    // The token becomes reachable, but the back-off has not passed: no new attempt yet.
    Files.writeString(pinFile, SoftHsmToken.pin() + "\n");
    KeyOperationException waiting = assertThrows(KeyOperationException.class,
        () -> lazy.decrypt(id, 1, wrapped, context(id, 1, "o")));
    assertEquals(Kind.BACKEND_UNAVAILABLE, waiting.kind());
    assertTrue(waiting.getMessage().contains("next attempt in"), waiting.getMessage());
    assertFalse(lazy.tokenOpen());

    clock.advance(Duration.ofMillis(Pkcs11KeyBackend.FIRST_RETRY_MILLIS));
    assertArrayEquals(dek, lazy.decrypt(id, 1, wrapped, context(id, 1, "o")));
    assertTrue(lazy.tokenOpen());
    assertEquals(2, lazy.rotate(id).version());
  }

  @Test
  void theBackOffDoublesUpToItsBound() throws Exception {
    Pkcs11Config never = Pkcs11Config.of(SoftHsmToken.LIBRARY, 0, dir.resolve("no-pin"), dir.resolve("other.json"));
    FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    Pkcs11KeyBackend lazy = Pkcs11KeyBackend.open(never, random, clock);
    try {
      long expected = Pkcs11KeyBackend.FIRST_RETRY_MILLIS;
      for (int attempt = 0; attempt < 10; attempt++) {
        KeyOperationException e = assertThrows(KeyOperationException.class, () -> lazy.rotate("account/x"));
        assertEquals(Kind.BACKEND_UNAVAILABLE, e.kind());
        KeyOperationException waiting = assertThrows(KeyOperationException.class, () -> lazy.rotate("account/x"));
        assertTrue(waiting.getMessage().contains("next attempt in " + expected + " ms"), waiting.getMessage());
        clock.advance(Duration.ofMillis(expected));
        expected = Math.min(Pkcs11KeyBackend.MAX_RETRY_MILLIS, expected * 2);
      }
      assertEquals(Pkcs11KeyBackend.MAX_RETRY_MILLIS, expected);
    } finally {
      lazy.close();
    }
  }
}
