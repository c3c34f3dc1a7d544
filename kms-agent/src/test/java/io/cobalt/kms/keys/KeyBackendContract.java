package io.cobalt.kms.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.kms.keys.KeyOperationException.Kind;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The contract every {@link KeyBackend} keeps; one concrete subclass per backend (local, PKCS#11,
 * KMIP). Key ids are random per test, so backends whose keys outlive a test (a token, a KMIP server)
 * can share them.
 */
public abstract class KeyBackendContract {
  protected static final int DEK_BYTES = 32;
  protected final SecureRandom random = new SecureRandom();
  protected KeyBackend backend;

  /** A fresh backend (its own metadata, possibly a shared token or server). */
  protected abstract KeyBackend openBackend() throws Exception;

  /** Closes {@code old} and opens the same backend again on the same state. */
  protected abstract KeyBackend reopen(KeyBackend old) throws Exception;

  protected void close(KeyBackend b) throws Exception {
    if (b instanceof AutoCloseable c) {
      c.close();
    }
  }

  @BeforeEach
  void openTheBackend() throws Exception {
    backend = openBackend();
  }

  @AfterEach
  void closeTheBackend() throws Exception {
    if (backend != null) {
      close(backend);
    }
  }

  protected String newKeyId() {
    byte[] b = new byte[6];
    random.nextBytes(b);
    return "account/t" + HexFormat.of().formatHex(b);
  }

  protected byte[] dek() {
    byte[] b = new byte[DEK_BYTES];
    random.nextBytes(b);
    return b;
  }

  protected static byte[] context(String keyId, int version, String object) {
    return AssociatedData.label("cobalt/test/v1").text(keyId).uint32(version).text(object).toBytes();
  }

  protected static Kind refusal(Executable call) {
    return assertThrows(KeyOperationException.class, call).kind();
  }

  @Test
  void createsAKeyWithOneEnabledVersionOnlyOnce() throws Exception {
    String id = newKeyId();
    assertTrue(backend.describe(id).isEmpty());
    assertTrue(backend.createIfAbsent(id));
    assertFalse(backend.createIfAbsent(id));
    KeyDescription d = backend.describe(id).orElseThrow();
    assertEquals(id, d.keyId());
    assertEquals(1, d.versions().size());
    assertEquals(1, d.versions().get(0).version());
    assertEquals(KeyState.ENABLED, d.versions().get(0).state());
    assertEquals(1, d.primaryVersion().getAsInt());
  }

  @Test
  void unwrapsWhatItWrappedUnderTheSameContext() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    byte[] dek = dek();
    byte[] ctx = context(id, 1, "blob-1");
    byte[] wrapped = backend.encrypt(id, 1, dek, ctx);
    assertEquals(WrappedDataKey.CIPHERTEXT_LENGTH, wrapped.length);
    assertFalse(contains(wrapped, dek), "the wrapped key must not hold the DEK in the clear");
    assertArrayEquals(dek, backend.decrypt(id, 1, wrapped, ctx));
    byte[] again = backend.encrypt(id, 1, dek, ctx);
    assertFalse(Arrays.equals(wrapped, again), "two wraps of one DEK must differ (fresh nonce)");
    assertArrayEquals(dek, backend.decrypt(id, 1, again, ctx));
  }

  @Test
  void refusesToUnwrapUnderAnotherContext() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    byte[] wrapped = backend.encrypt(id, 1, dek(), context(id, 1, "blob-1"));
    assertEquals(Kind.NOT_AUTHENTIC, refusal(() -> backend.decrypt(id, 1, wrapped, context(id, 1, "blob-2"))));
    assertEquals(Kind.NOT_AUTHENTIC, refusal(() -> backend.decrypt(id, 1, wrapped, new byte[0])));
  }

  @Test
  void refusesAFlippedBitInTheNonceTheCiphertextOrTheTag() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    byte[] ctx = context(id, 1, "blob-1");
    byte[] wrapped = backend.encrypt(id, 1, dek(), ctx);
    for (int pos : new int[] {0, 11, 12, 30, 43, 44, 59}) {
      byte[] flipped = wrapped.clone();
      flipped[pos] ^= 0x01;
      assertEquals(Kind.NOT_AUTHENTIC, refusal(() -> backend.decrypt(id, 1, flipped, ctx)), "flipped byte " + pos);
    }
    assertEquals(Kind.NOT_AUTHENTIC, refusal(() -> backend.decrypt(id, 1, Arrays.copyOf(wrapped, 20), ctx)));
    assertEquals(Kind.NOT_AUTHENTIC, refusal(() -> backend.decrypt(id, 1, Arrays.copyOf(wrapped, 59), ctx)));
  }

  @Test
  void wrapsUnderTheNewVersionAfterRotationAndStillUnwrapsTheOld() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    byte[] dek = dek();
    byte[] oldWrapped = backend.encrypt(id, 1, dek, context(id, 1, "o"));
    KeyVersion v2 = backend.rotate(id);
    assertEquals(2, v2.version());
    assertEquals(KeyState.ENABLED, v2.state());
    KeyDescription d = backend.describe(id).orElseThrow();
    assertEquals(List.of(1, 2), d.versions().stream().map(KeyVersion::version).toList());
    assertEquals(2, d.primaryVersion().getAsInt());
    byte[] newWrapped = backend.encrypt(id, 2, dek, context(id, 2, "o"));
    assertArrayEquals(dek, backend.decrypt(id, 2, newWrapped, context(id, 2, "o")));
    assertArrayEquals(dek, backend.decrypt(id, 1, oldWrapped, context(id, 1, "o")));
    // Another version is another key: the same bytes and context do not open under it.
    assertEquals(Kind.NOT_AUTHENTIC, refusal(() -> backend.decrypt(id, 2, oldWrapped, context(id, 1, "o"))));
  }

  @Test
  void refusesUnknownKeysAndVersions() throws Exception {
    String id = newKeyId();
    byte[] ctx = context(id, 1, "x");
    assertEquals(Kind.UNKNOWN_KEY, refusal(() -> backend.encrypt(id, 1, dek(), ctx)));
    assertEquals(Kind.UNKNOWN_KEY, refusal(() -> backend.decrypt(id, 1, new byte[60], ctx)));
    assertEquals(Kind.UNKNOWN_KEY, refusal(() -> backend.rotate(id)));
    assertEquals(Kind.UNKNOWN_KEY, refusal(() -> backend.setState(id, 1, KeyState.DISABLED)));
    assertEquals(Kind.UNKNOWN_KEY, refusal(() -> backend.destroy(id, 1)));
    backend.createIfAbsent(id);
    assertEquals(Kind.UNKNOWN_KEY_VERSION, refusal(() -> backend.encrypt(id, 2, dek(), ctx)));
    assertEquals(Kind.UNKNOWN_KEY_VERSION, refusal(() -> backend.decrypt(id, 0, new byte[60], ctx)));
    assertEquals(Kind.UNKNOWN_KEY_VERSION, refusal(() -> backend.setState(id, 2, KeyState.DISABLED)));
    assertEquals(Kind.UNKNOWN_KEY_VERSION, refusal(() -> backend.destroy(id, -1)));
  }

  @Test
  void refusesADisabledVersionUntilItIsEnabledAgain() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    byte[] dek = dek();
    byte[] ctx = context(id, 1, "b");
    byte[] wrapped = backend.encrypt(id, 1, dek, ctx);
    assertEquals(KeyState.DISABLED, backend.setState(id, 1, KeyState.DISABLED).state());
    assertEquals(KeyState.DISABLED, backend.setState(id, 1, KeyState.DISABLED).state());
    KeyDescription d = backend.describe(id).orElseThrow();
    assertEquals(KeyState.DISABLED, d.versions().get(0).state());
    assertTrue(d.primaryVersion().isEmpty());
    assertEquals(Kind.KEY_DISABLED, refusal(() -> backend.decrypt(id, 1, wrapped, ctx)));
    assertEquals(Kind.KEY_DISABLED, refusal(() -> backend.encrypt(id, 1, dek, ctx)));
    assertEquals(KeyState.ENABLED, backend.setState(id, 1, KeyState.ENABLED).state());
    assertArrayEquals(dek, backend.decrypt(id, 1, wrapped, ctx));
    assertEquals(Kind.INVALID_STATE_CHANGE, refusal(() -> backend.setState(id, 1, KeyState.DESTROYED)));
  }

  @Test
  void destroysOnlyADisabledVersionAndThenRefusesItForGood() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    byte[] dek = dek();
    byte[] ctx1 = context(id, 1, "b");
    byte[] wrapped1 = backend.encrypt(id, 1, dek, ctx1);
    backend.rotate(id);
    byte[] ctx2 = context(id, 2, "b");
    byte[] wrapped2 = backend.encrypt(id, 2, dek, ctx2);
    assertEquals(Kind.INVALID_STATE_CHANGE, refusal(() -> backend.destroy(id, 1)));
    assertArrayEquals(dek, backend.decrypt(id, 1, wrapped1, ctx1));
    backend.setState(id, 1, KeyState.DISABLED);
    assertEquals(KeyState.DESTROYED, backend.destroy(id, 1).state());
    assertEquals(KeyState.DESTROYED, backend.destroy(id, 1).state());
    assertEquals(Kind.KEY_DESTROYED, refusal(() -> backend.decrypt(id, 1, wrapped1, ctx1)));
    assertEquals(Kind.KEY_DESTROYED, refusal(() -> backend.encrypt(id, 1, dek, ctx1)));
    assertEquals(Kind.KEY_DESTROYED, refusal(() -> backend.setState(id, 1, KeyState.ENABLED)));
    KeyDescription d = backend.describe(id).orElseThrow();
    assertEquals(List.of(KeyState.DESTROYED, KeyState.ENABLED), d.versions().stream().map(KeyVersion::state).toList());
    assertEquals(2, d.primaryVersion().getAsInt());
    assertArrayEquals(dek, backend.decrypt(id, 2, wrapped2, ctx2));
  }

  @Test
  void keepsVersionsStatesAndKeysAcrossARestart() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    byte[] dek = dek();
    byte[] ctx = context(id, 2, "r");
    backend.rotate(id);
    byte[] wrapped = backend.encrypt(id, 2, dek, ctx);
    backend.rotate(id);
    backend.setState(id, 3, KeyState.DISABLED);
    backend.setState(id, 1, KeyState.DISABLED);
    backend.destroy(id, 1);
    KeyDescription before = backend.describe(id).orElseThrow();
    backend = reopen(backend);
    KeyDescription after = backend.describe(id).orElseThrow();
    assertEquals(before, after);
    assertEquals(List.of(KeyState.DESTROYED, KeyState.ENABLED, KeyState.DISABLED),
        after.versions().stream().map(KeyVersion::state).toList());
    assertArrayEquals(dek, backend.decrypt(id, 2, wrapped, ctx));
    assertEquals(Kind.KEY_DESTROYED, refusal(() -> backend.encrypt(id, 1, dek, ctx)));
  }

  @Test
  void unwrapsConcurrentlyAndReportsItsUnwrapLatency() throws Exception {
    String id = newKeyId();
    backend.createIfAbsent(id);
    byte[] dek = dek();
    byte[] ctx = context(id, 1, "lat");
    byte[] wrapped = backend.encrypt(id, 1, dek, ctx);
    int n = 200;
    long[] nanos = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      byte[] out = backend.decrypt(id, 1, wrapped, ctx);
      nanos[i] = System.nanoTime() - t0;
      assertArrayEquals(dek, out);
    }
    Arrays.sort(nanos);
    System.out.printf(Locale.ROOT, "[latency] %s unwrap of a 32-byte DEK, %d sequential calls: p50 %.3f ms, p99 %.3f ms,"
        + " load average %.2f%n", getClass().getSimpleName(), n, nanos[n / 2] / 1e6, nanos[n * 99 / 100] / 1e6,
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        results.add(pool.submit(() -> backend.decrypt(id, 1, wrapped, ctx)));
      }
      for (Future<byte[]> f : results) {
        assertArrayEquals(dek, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
