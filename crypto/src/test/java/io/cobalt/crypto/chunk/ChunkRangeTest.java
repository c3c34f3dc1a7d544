package io.cobalt.crypto.chunk;

import static io.cobalt.crypto.chunk.ChunkFormat.HEADER_LENGTH;
import static io.cobalt.crypto.chunk.ChunkFormat.SEGMENT_CIPHERTEXT_SIZE;
import static io.cobalt.crypto.chunk.ChunkFormat.SEGMENT_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.crypto.key.DataKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(Seeds.Reporter.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChunkRangeTest {
  /** Five segments, the last one short. */
  private static final int PLAINTEXT_LENGTH = 4 * SEGMENT_SIZE + 123;
  private static final int SEGMENTS = 5;

  private final ChunkOpener opener = new ChunkOpener();
  private DataKey dek;
  private ChunkIdentity id;
  private byte[] plaintext;
  private byte[] chunk;

  @BeforeAll
  void sealOneChunk() {
    Random random = Seeds.random("range");
    dek = RandomChunkInputs.dek(random);
    id = RandomChunkInputs.identity(random);
    plaintext = RandomChunkInputs.bytes(random, PLAINTEXT_LENGTH);
    chunk = RandomChunkInputs.sealer(random).seal(dek, id, plaintext, 0, plaintext.length);
  }

  /** Edge ranges plus 300 seeded random ones: {offset, length}. */
  Stream<Arguments> ranges() {
    List<long[]> ranges = new ArrayList<>();
    ranges.add(new long[] {0, PLAINTEXT_LENGTH});
    ranges.add(new long[] {0, 0});
    ranges.add(new long[] {PLAINTEXT_LENGTH, 0});
    ranges.add(new long[] {PLAINTEXT_LENGTH - 1, 1});
    for (int s = 0; s < SEGMENTS; s++) {
      long start = (long) s * SEGMENT_SIZE;
      long end = Math.min(start + SEGMENT_SIZE, PLAINTEXT_LENGTH);
      ranges.add(new long[] {start, end - start}); // exactly one segment
      ranges.add(new long[] {start, 1});
      ranges.add(new long[] {end - 1, 1});
      if (end < PLAINTEXT_LENGTH) {
        ranges.add(new long[] {end - 1, 2}); // across a boundary
        ranges.add(new long[] {start + 1, SEGMENT_SIZE}); // two partial segments
      }
    }
    Random r = Seeds.random("ranges");
    for (int i = 0; i < 300; i++) {
      int offset = r.nextInt(PLAINTEXT_LENGTH + 1);
      int max = PLAINTEXT_LENGTH - offset;
      // Mostly short reads, some long.
      int length = i % 4 == 0 ? r.nextInt(max + 1) : r.nextInt(Math.min(max, 5000) + 1);
      ranges.add(new long[] {offset, length});
    }
    return ranges.stream().map(rg -> Arguments.of(rg[0], (int) rg[1]));
  }

  @ParameterizedTest(name = "[{0}, +{1})")
  @MethodSource("ranges")
  void rangeEqualsTheSliceOfThePlaintext(long offset, int length) throws Exception {
    byte[] expected = Arrays.copyOfRange(plaintext, (int) offset, (int) offset + length);
    assertArrayEquals(
        expected,
        opener.openRange(dek, id, chunk, offset, length),
        "range [" + offset + ", +" + length + ")" + Seeds.replay());
  }

  @Test
  void rangeOutsideThePlaintextIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> opener.openRange(dek, id, chunk, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> opener.openRange(dek, id, chunk, 0, -1));
    assertThrows(
        IllegalArgumentException.class,
        () -> opener.openRange(dek, id, chunk, PLAINTEXT_LENGTH, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> opener.openRange(dek, id, chunk, 1, PLAINTEXT_LENGTH));
    assertThrows(
        IllegalArgumentException.class,
        () -> opener.openRange(dek, id, chunk, Long.MAX_VALUE, 1));
  }

  @Test
  void decryptsOnlyTheSegmentsTheRangeTouches() throws Exception {
    Random r = Seeds.random("locality");
    for (int corrupt = 0; corrupt < SEGMENTS; corrupt++) {
      byte[] tampered = chunk.clone();
      int segStart = HEADER_LENGTH + corrupt * SEGMENT_CIPHERTEXT_SIZE;
      int segLength = Math.min(SEGMENT_CIPHERTEXT_SIZE, chunk.length - segStart);
      tampered[segStart + r.nextInt(segLength)] ^= (byte) (1 << r.nextInt(8));
      assertThrows(ChunkAuthenticationException.class, () -> opener.open(dek, id, tampered));
      for (int i = 0; i < 60; i++) {
        int offset = r.nextInt(PLAINTEXT_LENGTH);
        int length = 1 + r.nextInt(Math.min(PLAINTEXT_LENGTH - offset, 2 * SEGMENT_SIZE));
        int first = offset / SEGMENT_SIZE;
        int last = (offset + length - 1) / SEGMENT_SIZE;
        String msg =
            "segment " + corrupt + " corrupted, range [" + offset + ", +" + length + ")"
                + Seeds.replay();
        if (corrupt < first || corrupt > last) {
          assertArrayEquals(
              Arrays.copyOfRange(plaintext, offset, offset + length),
              opener.openRange(dek, id, tampered, offset, length),
              msg);
        } else {
          int o = offset;
          int l = length;
          assertThrows(
              ChunkAuthenticationException.class,
              () -> opener.openRange(dek, id, tampered, o, l),
              msg);
        }
      }
    }
  }

  @Test
  void rangeReachingTheEndChecksTheLastFlag() throws Exception {
    // Cut a chunk of 5 full segments after segment 2: the length is valid (3 full segments), and a
    // read of the new last segment fails because it was sealed as non-final.
    Random r = Seeds.random("lastFlag");
    byte[] pt = RandomChunkInputs.bytes(r, 5 * SEGMENT_SIZE);
    byte[] full = RandomChunkInputs.sealer(r).seal(dek, id, pt, 0, pt.length);
    byte[] cut = Arrays.copyOf(full, HEADER_LENGTH + 3 * SEGMENT_CIPHERTEXT_SIZE);
    assertEquals(3L * SEGMENT_SIZE, ChunkFormat.plaintextLength(cut.length));
    assertThrows(
        ChunkAuthenticationException.class,
        () -> opener.openRange(dek, id, cut, 3L * SEGMENT_SIZE - 1, 1));
  }
}
