package io.cobalt.kms.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.key.DataKey;
import io.cobalt.kms.audit.AuditLog;
import io.cobalt.kms.audit.AuditLogVerifier;
import io.cobalt.kms.backend.local.MasterKey;
import io.cobalt.kms.backend.local.SealedKeystore;
import io.cobalt.kms.keys.KeyOperationException.Kind;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DataKeyServiceTest {
  private static final CallerContext CALLER = new CallerContext("ab".repeat(32), "req-1", 0);

  @TempDir Path dir;
  private SealedKeystore keystore;
  private AuditLog audit;
  private DataKeyService service;

  @BeforeEach
  void open() throws Exception {
    SecureRandom random = new SecureRandom();
    Clock clock = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
    byte[] mk = new byte[32];
    random.nextBytes(mk);
    try (MasterKey masterKey = MasterKey.of(mk)) {
      keystore = SealedKeystore.open(dir, masterKey, random, clock);
    }
    audit = AuditLog.open(dir.resolve("audit.log"), "test-agent", keystore.auditContextKey(), clock);
    service = new DataKeyService(keystore, audit, random, () -> 0L);
  }

  @AfterEach
  void close() {
    audit.close();
    keystore.close();
  }

  @Test
  void unwrapsAGeneratedKeyToTheSameBytes() throws Exception {
    try (GeneratedDataKey g = service.generateDataKey(CALLER, "account1");
        DataKey back = service.unwrap(CALLER, "account1", g.wrapped())) {
      assertEquals("account/account1", g.wrapped().keyId());
      assertEquals(1, g.wrapped().keyVersion());
      assertEquals(WrappedDataKey.CIPHERTEXT_LENGTH, g.wrapped().ciphertext().length);
      assertArrayEquals(g.plaintext().copyBytes(), back.copyBytes());
    }
  }

  @Test
  void encryptionScopeKeysMustExistAndServeOnlyTheirAccount() throws Exception {
    String scope = KeyId.ofScope("account1", "scope-one");
    assertEquals("account1", new KeyId(scope).account());
    assertTrue(new KeyId(scope).isScope());
    // Not created on first use (Azure requires a scope to exist).
    KeyOperationException unknown =
        assertThrows(KeyOperationException.class, () -> service.generateDataKey(CALLER, "account1", scope));
    assertEquals(Kind.UNKNOWN_KEY, unknown.kind());
    keystore.createIfAbsent(scope);
    try (GeneratedDataKey g = service.generateDataKey(CALLER, "account1", scope);
        DataKey back = service.unwrap(CALLER, "account1", g.wrapped())) {
      assertEquals(scope, g.wrapped().keyId());
      assertArrayEquals(g.plaintext().copyBytes(), back.copyBytes());
      // Another account may neither generate under it nor unwrap with it.
      assertEquals(Kind.WRONG_KEY, assertThrows(KeyOperationException.class,
          () -> service.generateDataKey(CALLER, "account2", scope)).kind());
      assertEquals(Kind.WRONG_KEY, assertThrows(KeyOperationException.class,
          () -> service.unwrap(CALLER, "account2", g.wrapped())).kind());
      // Relabelled as the account's own key, it does not authenticate.
      service.generateDataKey(CALLER, "account1").close();
      WrappedDataKey relabelled = new WrappedDataKey("account/account1", g.wrapped().keyVersion(), g.wrapped().ciphertext());
      assertEquals(Kind.NOT_AUTHENTIC, assertThrows(KeyOperationException.class,
          () -> service.unwrap(CALLER, "account1", relabelled)).kind());
    }
    assertFalse(KeyId.isValid("account/account1/scope/x"), "scope names are 3-63 characters");
    assertFalse(KeyId.isValid("account/account1/scope/a_b"));
    assertFalse(KeyId.isValid("account/Account1/scope/abc"));
  }

  @Test
  void generatesADifferentKeyEachTime() throws Exception {
    try (GeneratedDataKey a = service.generateDataKey(CALLER, "account1");
        GeneratedDataKey b = service.generateDataKey(CALLER, "account1")) {
      assertFalse(java.util.Arrays.equals(a.plaintext().copyBytes(), b.plaintext().copyBytes()));
    }
  }

  @Test
  void refusesAWrappedKeyPresentedForAnotherAccount() throws Exception {
    WrappedDataKey w = generate("account1");
    service.generateDataKey(CALLER, "account2").close();
    KeyOperationException e = assertThrows(KeyOperationException.class, () -> service.unwrap(CALLER, "account2", w));
    assertEquals(Kind.WRONG_KEY, e.kind());
  }

  @Test
  void refusesAWrappedKeyRelabelledWithTheOtherAccountsKeyId() throws Exception {
    WrappedDataKey w = generate("account1");
    service.generateDataKey(CALLER, "account2").close();
    WrappedDataKey relabelled = new WrappedDataKey("account/account2", w.keyVersion(), w.ciphertext());
    KeyOperationException asOther =
        assertThrows(KeyOperationException.class, () -> service.unwrap(CALLER, "account2", relabelled));
    assertEquals(Kind.NOT_AUTHENTIC, asOther.kind());
    KeyOperationException asOwn =
        assertThrows(KeyOperationException.class, () -> service.unwrap(CALLER, "account1", relabelled));
    assertEquals(Kind.WRONG_KEY, asOwn.kind());
  }

  @Test
  void refusesAWrappedKeyNamingAnotherVersion() throws Exception {
    WrappedDataKey w = generate("account1");
    service.rotate(CALLER, "account/account1");
    KeyOperationException other = assertThrows(KeyOperationException.class,
        () -> service.unwrap(CALLER, "account1", new WrappedDataKey(w.keyId(), 2, w.ciphertext())));
    assertEquals(Kind.NOT_AUTHENTIC, other.kind());
    for (int missing : new int[] {0, 3, Integer.MAX_VALUE}) {
      KeyOperationException e = assertThrows(KeyOperationException.class,
          () -> service.unwrap(CALLER, "account1", new WrappedDataKey(w.keyId(), missing, w.ciphertext())));
      assertEquals(Kind.UNKNOWN_KEY_VERSION, e.kind(), "version " + missing);
    }
  }

  @Test
  void refusesAWrappedKeyForAnAccountWithoutKey() throws Exception {
    WrappedDataKey w = generate("account1");
    KeyOperationException e = assertThrows(KeyOperationException.class,
        () -> service.unwrap(CALLER, "account9", new WrappedDataKey("account/account9", 1, w.ciphertext())));
    assertEquals(Kind.UNKNOWN_KEY, e.kind());
  }

  @Test
  void refusesEveryFlippedBitOfAWrappedKey() throws Exception {
    WrappedDataKey w = generate("account1");
    byte[] ct = w.ciphertext();
    assertEquals(60, ct.length);
    for (int bit = 0; bit < ct.length * 8; bit++) {
      byte[] flipped = ct.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      WrappedDataKey bad = new WrappedDataKey(w.keyId(), w.keyVersion(), flipped);
      int b = bit;
      KeyOperationException e = assertThrows(KeyOperationException.class,
          () -> service.unwrap(CALLER, "account1", bad), () -> "bit " + b + " flipped was accepted");
      assertEquals(Kind.NOT_AUTHENTIC, e.kind(), "bit " + bit);
    }
  }

  @Test
  void refusesATruncatedOrExtendedWrappedKey() throws Exception {
    byte[] ct = generate("account1").ciphertext();
    for (int len : new int[] {0, 28, 59, 61, 120}) {
      byte[] changed = java.util.Arrays.copyOf(ct, len);
      KeyOperationException e = assertThrows(KeyOperationException.class,
          () -> service.unwrap(CALLER, "account1", new WrappedDataKey("account/account1", 1, changed)));
      assertEquals(Kind.MALFORMED_WRAPPED_KEY, e.kind(), "length " + len);
    }
  }

  @Test
  void wrapsNewKeysWithTheNewestVersionAfterRotationAndStillUnwrapsOldOnes() throws Exception {
    try (GeneratedDataKey old = service.generateDataKey(CALLER, "account1")) {
      KeyVersion v2 = service.rotate(CALLER, "account/account1");
      assertEquals(2, v2.version());
      try (GeneratedDataKey fresh = service.generateDataKey(CALLER, "account1");
          DataKey oldBack = service.unwrap(CALLER, "account1", old.wrapped());
          DataKey freshBack = service.unwrap(CALLER, "account1", fresh.wrapped())) {
        assertEquals(1, old.wrapped().keyVersion());
        assertEquals(2, fresh.wrapped().keyVersion());
        assertArrayEquals(old.plaintext().copyBytes(), oldBack.copyBytes());
        assertArrayEquals(fresh.plaintext().copyBytes(), freshBack.copyBytes());
      }
    }
    KeyDescription d = service.describe(CALLER, "account/account1");
    assertEquals(2, d.versions().size());
    assertEquals(2, d.primaryVersion().getAsInt());
  }

  @Test
  void createsAnAccountKeyOnceWhenManyCallersAskAtTheSameTime() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<WrappedDataKey>> futures = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) {
        futures.add(pool.submit(() -> generate("busy1")));
      }
      for (java.util.concurrent.Future<WrappedDataKey> f : futures) {
        assertEquals(1, f.get(30, java.util.concurrent.TimeUnit.SECONDS).keyVersion());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, auditLines().stream().filter(l -> l.getString("op").equals("CREATE_KEY")).count());
    assertEquals(8, auditLines().stream().filter(l -> l.getString("op").equals("GENERATE_DEK")).count());
    assertTrue(AuditLogVerifier.verify(audit.file()).intact());
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"ab", "Account1", "account_1", "acc-ount", "abcdefghijklmnopqrstuvwxy", "accoünt"})
  void refusesAccountNamesThatAzureRefuses(String account) {
    KeyOperationException e = assertThrows(KeyOperationException.class, () -> service.generateDataKey(CALLER, account));
    assertEquals(Kind.INVALID_ACCOUNT, e.kind());
  }

  @Test
  void acceptsAccountNamesAtTheLengthLimits() throws Exception {
    service.generateDataKey(CALLER, "abc").close();
    service.generateDataKey(CALLER, "abcdefghijklmnopqrstuvw1").close();
  }

  @Test
  void refusesToDescribeAnUnknownOrMalformedKeyId() {
    assertEquals(Kind.UNKNOWN_KEY,
        assertThrows(KeyOperationException.class, () -> service.describe(CALLER, "account/nobody")).kind());
    assertEquals(Kind.INVALID_KEY_ID,
        assertThrows(KeyOperationException.class, () -> service.describe(CALLER, "scope/x")).kind());
  }

  @Test
  void auditsEveryOperationIncludingFailuresAndKeyCreation() throws Exception {
    WrappedDataKey w = generate("account1");
    service.unwrap(CALLER, "account1", w).close();
    assertThrows(KeyOperationException.class, () -> service.unwrap(CALLER, "account2", w));
    service.rotate(CALLER, "account/account1");
    service.describe(CALLER, "account/account1");

    List<JsonObject> lines = auditLines();
    assertEquals(List.of("CREATE_KEY", "GENERATE_DEK", "UNWRAP", "UNWRAP", "ROTATE", "GET_KEY"),
        lines.stream().map(l -> l.getString("op")).toList());
    assertEquals(List.of("ok", "ok", "ok", "error", "ok", "ok"),
        lines.stream().map(l -> l.getString("result")).toList());
    assertEquals("WRONG_KEY", lines.get(3).getString("code"));
    assertEquals("account/account1", lines.get(1).getJsonObject("key").getString("id"));
    assertEquals(1, lines.get(1).getJsonObject("key").getInteger("version"));
    assertEquals(2, lines.get(4).getJsonObject("key").getInteger("version"));
    assertEquals(CALLER.caller(), lines.get(0).getString("caller"));
    assertEquals("req-1", lines.get(0).getString("requestId"));
    assertTrue(AuditLogVerifier.verify(audit.file()).intact());
  }

  @Test
  void failsTheOperationWhenTheAuditLogCannotBeWritten() throws Exception {
    generate("account1");
    audit.close();
    KeyOperationException e = assertThrows(KeyOperationException.class, () -> service.generateDataKey(CALLER, "account1"));
    assertEquals(Kind.AUDIT_UNAVAILABLE, e.kind());
    assertTrue(e.retriable());
  }

  @Test
  void neverWritesTheRawAccountNameIntoTheContextField() throws Exception {
    generate("secretaccount");
    for (JsonObject line : auditLines()) {
      String context = line.getString("context");
      assertEquals(64, context.length());
      assertNotEquals("secretaccount", context);
    }
  }

  @Test
  void associatedDataKeepsFieldBoundaries() {
    assertFalse(java.util.Arrays.equals(
        AssociatedData.label("l").text("ab").text("c").toBytes(),
        AssociatedData.label("l").text("a").text("bc").toBytes()));
    assertArrayEquals(new byte[] {0, 0, 0, 1, 'l', 0, 0, 0, 4, 0, 0, 0, 7},
        AssociatedData.label("l").uint32(7).toBytes());
  }

  private WrappedDataKey generate(String account) throws KeyOperationException {
    try (GeneratedDataKey g = service.generateDataKey(CALLER, account)) {
      return g.wrapped();
    }
  }

  private List<JsonObject> auditLines() throws Exception {
    return Files.readAllLines(audit.file()).stream().map(JsonObject::new).toList();
  }
}
