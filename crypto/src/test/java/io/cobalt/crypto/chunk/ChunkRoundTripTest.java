package io.cobalt.crypto.chunk;

import static io.cobalt.crypto.chunk.ChunkFormat.HEADER_LENGTH;
import static io.cobalt.crypto.chunk.ChunkFormat.MAX_CHUNK_PLAINTEXT;
import static io.cobalt.crypto.chunk.ChunkFormat.SEGMENT_SIZE;
import static io.cobalt.crypto.chunk.ChunkFormat.TAG_LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.crypto.key.DataKey;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(Seeds.Reporter.class)
class ChunkRoundTripTest {
  private final ChunkOpener opener = new ChunkOpener();

  /** Every size 0..300, every segment boundary ±3 for 1..4 segments, and the maximum. */
  static IntStream smallAndBoundarySizes() {
    IntStream boundaries =
        IntStream.rangeClosed(1, 4)
            .flatMap(k -> IntStream.rangeClosed(k * SEGMENT_SIZE - 3, k * SEGMENT_SIZE + 3));
    return IntStream.concat(
            IntStream.concat(IntStream.rangeClosed(0, 300), boundaries),
            IntStream.of(MAX_CHUNK_PLAINTEXT - 1, MAX_CHUNK_PLAINTEXT))
        .distinct();
  }

  /** Seeded random sizes up to the maximum; the seed is in {@link Seeds}. */
  static Stream<Integer> randomSizes() {
    Random random = Seeds.random("randomSizes");
    return IntStream.range(0, 12)
        .mapToObj(i -> i < 4 ? random.nextInt(4 * SEGMENT_SIZE) : random.nextInt(MAX_CHUNK_PLAINTEXT + 1));
  }

  @ParameterizedTest
  @MethodSource("smallAndBoundarySizes")
  void roundTripsEverySmallAndBoundarySize(int size) throws Exception {
    roundTrip(size, "size" + size);
  }

  @ParameterizedTest
  @MethodSource("randomSizes")
  void roundTripsRandomSizes(int size) throws Exception {
    roundTrip(size, "random" + size);
  }

  private void roundTrip(int size, String purpose) throws Exception {
    Random random = Seeds.random(purpose);
    DataKey dek = RandomChunkInputs.dek(random);
    ChunkIdentity id = RandomChunkInputs.identity(random);
    int offset = random.nextInt(5);
    byte[] buffer = RandomChunkInputs.bytes(random, offset + size + random.nextInt(5));
    byte[] plaintext = Arrays.copyOfRange(buffer, offset, offset + size);

    byte[] chunk = RandomChunkInputs.sealer(random).seal(dek, id, buffer, offset, size);

    String msg = "size " + size + Seeds.replay();
    assertEquals(ChunkFormat.ciphertextLength(size), chunk.length, msg);
    int segments = Math.max(1, (size + SEGMENT_SIZE - 1) / SEGMENT_SIZE);
    assertEquals(HEADER_LENGTH + size + TAG_LENGTH * segments, chunk.length, msg);
    assertEquals(size, ChunkFormat.plaintextLength(chunk.length), msg);
    assertArrayEquals(plaintext, opener.open(dek, id, chunk), msg);
    assertArrayEquals(plaintext, opener.openRange(dek, id, chunk, 0, size), msg);
    if (size >= 16) {
      // Ciphertext only: the plaintext does not appear in the chunk.
      assertFalse(contains(chunk, Arrays.copyOf(plaintext, 16)), msg);
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

  @Test
  void writesTheV1HeaderAndFreshRandomnessPerChunk() throws Exception {
    Random random = Seeds.random("header");
    DataKey dek = RandomChunkInputs.dek(random);
    ChunkIdentity id = RandomChunkInputs.identity(random);
    ChunkSealer sealer = new ChunkSealer(new SecureRandom());
    byte[] plaintext = RandomChunkInputs.bytes(random, 1000);
    byte[] a = sealer.seal(dek, id, plaintext, 0, plaintext.length);
    byte[] b = sealer.seal(dek, id, plaintext, 0, plaintext.length);

    assertArrayEquals(
        new byte[] {'C', 'B', 'L', 'T', 1, 1, 16, 0}, Arrays.copyOf(a, 8), Seeds.replay());
    assertEquals(0, a[47]);
    assertFalse(Arrays.equals(a, 8, 47, b, 8, 47), "salt and nonce prefix are random");
    assertFalse(Arrays.equals(a, 48, a.length, b, 48, b.length), "ciphertexts differ");
    assertArrayEquals(opener.open(dek, id, a), opener.open(dek, id, b));
  }

  @Test
  void lengthFormulasAreInversesAndRejectEveryImpossibleLength() {
    int limit = 4 * SEGMENT_SIZE + 100;
    boolean[] valid = new boolean[(int) ChunkFormat.ciphertextLength(limit) + 1];
    for (int n = 0; n <= limit; n++) {
      long c = ChunkFormat.ciphertextLength(n);
      assertEquals(n, ChunkFormat.plaintextLength(c), "n=" + n);
      valid[(int) c] = true;
    }
    for (int c = 0; c < valid.length; c++) {
      if (!valid[c]) {
        int cc = c;
        assertThrows(IllegalArgumentException.class, () -> ChunkFormat.plaintextLength(cc), "c=" + c);
      }
    }
    long max = ChunkFormat.ciphertextLength(MAX_CHUNK_PLAINTEXT);
    assertEquals(HEADER_LENGTH + MAX_CHUNK_PLAINTEXT + 64L * TAG_LENGTH, max);
    assertEquals(MAX_CHUNK_PLAINTEXT, ChunkFormat.plaintextLength(max));
    assertThrows(IllegalArgumentException.class, () -> ChunkFormat.plaintextLength(max + 17));
    assertThrows(IllegalArgumentException.class, () -> ChunkFormat.plaintextLength(-1));
    assertThrows(
        IllegalArgumentException.class, () -> ChunkFormat.ciphertextLength(MAX_CHUNK_PLAINTEXT + 1));
    assertThrows(IllegalArgumentException.class, () -> ChunkFormat.ciphertextLength(-1));
    // The empty chunk: header + one empty final segment (its tag).
    assertEquals(HEADER_LENGTH + TAG_LENGTH, ChunkFormat.ciphertextLength(0));
  }

  @Test
  void rejectsOversizedPlaintextAndBadBounds() {
    ChunkSealer sealer = new ChunkSealer(new SecureRandom());
    Random random = Seeds.random("bounds");
    DataKey dek = RandomChunkInputs.dek(random);
    ChunkIdentity id = RandomChunkInputs.identity(random);
    byte[] big = new byte[MAX_CHUNK_PLAINTEXT + 1];
    assertThrows(IllegalArgumentException.class, () -> sealer.seal(dek, id, big, 0, big.length));
    assertThrows(IndexOutOfBoundsException.class, () -> sealer.seal(dek, id, new byte[10], 5, 6));
    assertThrows(IndexOutOfBoundsException.class, () -> sealer.seal(dek, id, new byte[10], -1, 2));
  }

  @Test
  void identityValidatesCopiesAndComparesByContent() {
    byte[] object = new byte[16];
    byte[] stream = new byte[16];
    ChunkIdentity a = new ChunkIdentity("acct", object, stream, 3);
    object[0] = 1; // the identity kept its own copy
    ChunkIdentity b = new ChunkIdentity("acct", new byte[16], new byte[16], 3);
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    a.objectId()[1] = 9; // and hands out copies
    assertEquals(a, b);
    assertNotEquals(a, b.withChunkIndex(4));
    assertNotEquals(a, new ChunkIdentity("acct2", new byte[16], new byte[16], 3));
    byte[] otherStream = new byte[16];
    otherStream[15] = 1;
    assertNotEquals(a, new ChunkIdentity("acct", new byte[16], otherStream, 3));
    assertThrows(IllegalArgumentException.class, () -> new ChunkIdentity("", object, stream, 0));
    assertThrows(IllegalArgumentException.class, () -> new ChunkIdentity("a", new byte[15], stream, 0));
    assertThrows(IllegalArgumentException.class, () -> new ChunkIdentity("a", object, new byte[17], 0));
    assertThrows(IllegalArgumentException.class, () -> new ChunkIdentity("a", object, stream, -1));
    assertThrows(NullPointerException.class, () -> new ChunkIdentity(null, object, stream, 0));
  }

  @Test
  void sealerAndOpenerAreSharedSafelyAcrossThreads() throws Exception {
    ChunkSealer sealer = new ChunkSealer(new SecureRandom());
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> results = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Random random = Seeds.random("threads" + t);
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 40; i++) {
                    int size = random.nextInt(3 * SEGMENT_SIZE);
                    DataKey dek = RandomChunkInputs.dek(random);
                    ChunkIdentity id = RandomChunkInputs.identity(random);
                    byte[] pt = RandomChunkInputs.bytes(random, size);
                    byte[] chunk = sealer.seal(dek, id, pt, 0, size);
                    assertArrayEquals(pt, opener.open(dek, id, chunk), "size " + size + Seeds.replay());
                  }
                  return null;
                }));
      }
      for (java.util.concurrent.Future<?> f : results) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void refusesADestroyedKey() {
    Random random = Seeds.random("destroyed");
    DataKey dek = RandomChunkInputs.dek(random);
    ChunkIdentity id = RandomChunkInputs.identity(random);
    dek.close();
    assertThrows(
        IllegalStateException.class,
        () -> new ChunkSealer(new SecureRandom()).seal(dek, id, new byte[1], 0, 1));
  }
}
