package io.cobalt.kms.backend.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.kms.keys.AssociatedData;
import io.cobalt.kms.keys.KeyDescription;
import io.cobalt.kms.keys.KeyOperationException;
import io.cobalt.kms.keys.KeyState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealedKeystoreTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-03-04T05:06:07Z"), ZoneOffset.UTC);
  private final SecureRandom random = new SecureRandom();

  @TempDir Path dir;

  @Test
  void keepsKeysAndVersionsAcrossARestart() throws Exception {
    byte[] mk = randomKey();
    byte[] sealed;
    byte[] aad = AssociatedData.label("t").toBytes();
    try (SealedKeystore ks = open(mk)) {
      assertTrue(ks.createIfAbsent("account/one"));
      assertFalse(ks.createIfAbsent("account/one"));
      ks.createIfAbsent("account/two");
      ks.rotate("account/one");
      sealed = ks.encrypt("account/one", 1, "hello".getBytes(StandardCharsets.UTF_8), aad);
    }
    try (SealedKeystore ks = open(mk)) {
      KeyDescription one = ks.describe("account/one").orElseThrow();
      assertEquals(2, one.versions().size());
      assertEquals(2, one.primaryVersion().getAsInt());
      assertEquals(KeyState.ENABLED, one.versions().get(0).state());
      assertEquals(CLOCK.instant(), one.versions().get(1).created());
      assertEquals(1, ks.describe("account/two").orElseThrow().versions().size());
      assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), ks.decrypt("account/one", 1, sealed, aad));
      assertEquals(KeyOperationException.Kind.NOT_AUTHENTIC,
          assertThrows(KeyOperationException.class, () -> ks.decrypt("account/one", 2, sealed, aad)).kind());
    }
  }

  @Test
  void refusesToOpenWithAWrongMasterKeyAndSaysSo() throws Exception {
    try (SealedKeystore ks = open(randomKey())) {
      ks.createIfAbsent("account/one");
    }
    MasterKeyMismatchException e = assertThrows(MasterKeyMismatchException.class, () -> open(randomKey()));
    assertTrue(e.getMessage().contains("master key does not match"), e.getMessage());
    assertEquals(0, e.getStackTrace().length);
  }

  @Test
  void refusesAWrongMasterKeyEvenForAnEmptyKeystore() throws Exception {
    open(randomKey()).close();
    assertThrows(MasterKeyMismatchException.class, () -> open(randomKey()));
  }

  @Test
  void storesNoKekBytesInTheClear() throws Exception {
    byte[] mk = randomKey();
    try (SealedKeystore ks = open(mk)) {
      ks.createIfAbsent("account/one");
      ks.rotate("account/one");
      ks.createIfAbsent("account/two");
      byte[] file = Files.readAllBytes(dir.resolve(SealedKeystore.FILE_NAME));
      String text = new String(file, StandardCharsets.ISO_8859_1);
      for (String[] kv : new String[][] {{"account/one", "1"}, {"account/one", "2"}, {"account/two", "1"}}) {
        byte[] kek = ks.kekBytesForTest(kv[0], Integer.parseInt(kv[1]));
        assertEquals(32, kek.length);
        assertNotContained(file, text, kek, kv[0] + " v" + kv[1]);
      }
      assertNotContained(file, text, mk, "the master key");
    }
  }

  @Test
  void refusesToOpenAKeystoreWhoseSealedVersionsWereSwapped() throws Exception {
    byte[] mk = randomKey();
    try (SealedKeystore ks = open(mk)) {
      ks.createIfAbsent("account/one");
      ks.rotate("account/one");
    }
    Path file = dir.resolve(SealedKeystore.FILE_NAME);
    JsonObject root = new JsonObject(Files.readString(file));
    JsonArray versions = root.getJsonArray("keys").getJsonObject(0).getJsonArray("versions");
    String s1 = versions.getJsonObject(0).getString("sealed");
    versions.getJsonObject(0).put("sealed", versions.getJsonObject(1).getString("sealed"));
    versions.getJsonObject(1).put("sealed", s1);
    Files.writeString(file, root.encode());
    IOException e = assertThrows(IOException.class, () -> open(mk));
    assertTrue(e.getMessage().contains("does not authenticate"), e.getMessage());
  }

  @Test
  void writesTheKeystoreOwnerOnly() throws Exception {
    open(randomKey()).close();
    assertEquals("rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(SealedKeystore.FILE_NAME))));
    assertFalse(Files.exists(dir.resolve(SealedKeystore.FILE_NAME + ".tmp")));
  }

  @Test
  void refusesAMissingOrWronglySizedMasterKeyFile() throws Exception {
    Path missing = dir.resolve("nope");
    assertTrue(assertThrows(IOException.class, () -> MasterKey.read(missing)).getMessage().contains("does not exist"));
    Path shortFile = dir.resolve("short");
    Files.write(shortFile, new byte[31]);
    assertTrue(assertThrows(IOException.class, () -> MasterKey.read(shortFile)).getMessage().contains("holds 31"));
    Path base64 = dir.resolve("b64");
    Files.writeString(base64, Base64.getEncoder().encodeToString(randomKey()) + "\n");
    String msg = assertThrows(IOException.class, () -> MasterKey.read(base64)).getMessage();
    assertTrue(msg.contains("base64 text is not accepted"), msg);
  }

  @Test
  void createsAnOwnerOnlyMasterKeyFileOnceAndNeverReplacesIt() throws Exception {
    Path file = dir.resolve("sub/master.key");
    assertTrue(MasterKey.createFileIfAbsent(file, random));
    byte[] first = Files.readAllBytes(file);
    assertEquals(32, first.length);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertFalse(MasterKey.createFileIfAbsent(file, random));
    assertArrayEquals(first, Files.readAllBytes(file));
    MasterKey.read(file).close();
  }

  @Test
  void neverShowsTheMasterKeyInItsStringForm() {
    byte[] mk = randomKey();
    try (MasterKey key = MasterKey.of(mk)) {
      assertFalse(key.toString().contains(HexFormat.of().formatHex(mk)));
      assertEquals("MasterKey[redacted]", key.toString());
    }
  }

  private SealedKeystore open(byte[] mk) throws IOException {
    try (MasterKey key = MasterKey.of(mk)) {
      return SealedKeystore.open(dir, key, random, CLOCK);
    }
  }

  private byte[] randomKey() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return b;
  }

  private static void assertNotContained(byte[] file, String text, byte[] secret, String what) {
    assertFalse(indexOf(file, secret) >= 0, what + " appears raw in the keystore");
    assertFalse(text.contains(Base64.getEncoder().encodeToString(secret).substring(0, 40)), what + " appears as base64");
    assertFalse(text.contains(Base64.getUrlEncoder().withoutPadding().encodeToString(secret).substring(0, 40)),
        what + " appears as base64url");
    assertFalse(text.toLowerCase().contains(HexFormat.of().formatHex(secret)), what + " appears as hex");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
