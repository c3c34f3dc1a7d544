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
    config = Pkcs11Config.of(SoftHsmToken.LIBRARY, TokenSelector.label(SoftHsmToken.LABEL), pinFile,
        dir.resolve("pkcs11-keys.json"));
    return Pkcs11KeyBackend.open(config, random, Clock.systemUTC());
  }

  @Override
  protected KeyBackend reopen(KeyBackend old) throws Exception {
    close(old);
    return Pkcs11KeyBackend.open(config, random, Clock.systemUTC());
  }

  /** A second, independent view of the token, as an auditor would open it. */
  private KeyStore tokenView() throws Exception {
    return tokenView(SoftHsmToken.LABEL, SoftHsmToken.pin());
  }

  /** The token {@code label}, opened by the slot id softhsm2-util reported, not by the backend's label lookup. */
  private static KeyStore tokenView(String label, String pin) throws Exception {
    Provider p = Security.getProvider("SunPKCS11").configure(Pkcs11KeyBackend.providerConfig(
        SoftHsmToken.LIBRARY.toString(), "slot = " + SoftHsmToken.slotId(label)));
    KeyStore ks = KeyStore.getInstance("PKCS11", p);
    ks.load(null, pin.toCharArray());
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
    Pkcs11Config later = Pkcs11Config.of(SoftHsmToken.LIBRARY, config.token(), pinFile, config.metadataFile());
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

  /**
   * Four tokens in the module (SoftHsmToken): the label picks the second one, whose PIN differs from
   * the others' (so the wrong token could not even be logged in to); the key lands in that token and
   * not in the first, as seen through each token's slot id from softhsm2-util, not the label lookup.
   */
  @Test
  void choosesTheTokenByLabelAndKeepsItsKeysInThatToken() throws Exception {
    Path pinFile = dir.resolve("second-pin");
    Files.writeString(pinFile, SoftHsmToken.secondPin() + "\n");
    Pkcs11Config second = Pkcs11Config.of(SoftHsmToken.LIBRARY, TokenSelector.label(SoftHsmToken.SECOND_LABEL),
        pinFile, dir.resolve("second-keys.json"));
    String id = newKeyId();
    try (Pkcs11KeyBackend b = Pkcs11KeyBackend.open(second, random, Clock.systemUTC())) {
      assertTrue(b.createIfAbsent(id));
      byte[] dek = dek();
      byte[] wrapped = b.encrypt(id, 1, dek, context(id, 1, "o"));
      assertArrayEquals(dek, b.decrypt(id, 1, wrapped, context(id, 1, "o")));
    }
    String label = Pkcs11KeyBackend.label(id, 1);
    assertTrue(Collections.list(tokenView(SoftHsmToken.SECOND_LABEL, SoftHsmToken.secondPin()).aliases())
        .contains(label), "the key is in the token labelled " + SoftHsmToken.SECOND_LABEL);
    assertFalse(Collections.list(tokenView().aliases()).contains(label), "and not in " + SoftHsmToken.LABEL);
    assertEquals(2, TokenLabels.tokens(SoftHsmToken.LIBRARY.toString()).stream()
        .filter(t -> t.label().equals(SoftHsmToken.TWIN_LABEL)).count(), "the module lists every token's label");
  }

  @Test
  void refusesALabelThatNamesNoTokenSayingWhichSettingAndWhichTokensThereAre() throws Exception {
    Path pinFile = dir.resolve("pin");
    Files.writeString(pinFile, SoftHsmToken.pin() + "\n");
    Pkcs11Config unknown = Pkcs11Config.of(SoftHsmToken.LIBRARY, TokenSelector.label("no-such-token"), pinFile,
        dir.resolve("unknown-keys.json"));
    try (Pkcs11KeyBackend b = Pkcs11KeyBackend.open(unknown, random, Clock.systemUTC())) {
      KeyOperationException e = assertThrows(KeyOperationException.class, () -> b.createIfAbsent(newKeyId()));
      assertEquals(Kind.BACKEND_UNAVAILABLE, e.kind());
      assertTrue(e.getMessage().contains("pkcs11.token.label: no token of " + SoftHsmToken.LIBRARY
          + " is labelled 'no-such-token'"), e.getMessage());
      assertTrue(e.getMessage().contains("'" + SoftHsmToken.SECOND_LABEL + "' (slot "
          + SoftHsmToken.slotId(SoftHsmToken.SECOND_LABEL) + ")"), e.getMessage());
      assertFalse(e.getMessage().contains(SoftHsmToken.pin()), "never the PIN: " + e.getMessage());
      assertFalse(b.tokenOpen());
    }
  }

  @Test
  void refusesALabelThatNamesTwoTokens() throws Exception {
    Path pinFile = dir.resolve("pin");
    Files.writeString(pinFile, SoftHsmToken.pin() + "\n");
    Pkcs11Config twins = Pkcs11Config.of(SoftHsmToken.LIBRARY, TokenSelector.label(SoftHsmToken.TWIN_LABEL), pinFile,
        dir.resolve("twin-keys.json"));
    try (Pkcs11KeyBackend b = Pkcs11KeyBackend.open(twins, random, Clock.systemUTC())) {
      KeyOperationException e = assertThrows(KeyOperationException.class, () -> b.createIfAbsent(newKeyId()));
      assertEquals(Kind.BACKEND_UNAVAILABLE, e.kind());
      assertTrue(e.getMessage().contains("pkcs11.token.label: 2 tokens of " + SoftHsmToken.LIBRARY
          + " are labelled '" + SoftHsmToken.TWIN_LABEL + "'"), e.getMessage());
      assertTrue(e.getMessage().contains("must name exactly one token"), e.getMessage());
      assertFalse(e.getMessage().contains(SoftHsmToken.pin()), "never the PIN: " + e.getMessage());
    }
  }

  @Test
  void aTokenLabelIsOneTo32BytesWithoutTrailingBlanks() {
    assertEquals("cobalt", ((TokenSelector.Label) TokenSelector.label("cobalt")).label());
    TokenSelector.label("x".repeat(32));
    assertThrows(IllegalArgumentException.class, () -> TokenSelector.label(""));
    assertThrows(IllegalArgumentException.class, () -> TokenSelector.label("x".repeat(33)));
    assertThrows(IllegalArgumentException.class, () -> TokenSelector.label("\u00e9".repeat(17)), "34 bytes of UTF-8");
    assertThrows(IllegalArgumentException.class, () -> TokenSelector.label("cobalt "));
    assertThrows(IllegalArgumentException.class, () -> TokenSelector.label("co\nbalt"));
  }

  @Test
  void readsALabelFieldAsBlankPaddedUtf8() {
    char[] field = new char[32];
    java.util.Arrays.fill(field, ' ');
    byte[] utf8 = "caf\u00e9 hsm".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < utf8.length; i++) {
      field[i] = (char) (utf8[i] & 0xff); // the wrapper widens each byte to a char
    }
    assertEquals("caf\u00e9 hsm", TokenLabels.label(field));
  }
}
