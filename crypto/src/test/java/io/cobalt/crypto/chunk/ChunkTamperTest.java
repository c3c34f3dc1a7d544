package io.cobalt.crypto.chunk;

import static io.cobalt.crypto.chunk.ChunkFormat.HEADER_LENGTH;
import static io.cobalt.crypto.chunk.ChunkFormat.SEGMENT_CIPHERTEXT_SIZE;
import static io.cobalt.crypto.chunk.ChunkFormat.SEGMENT_SIZE;
import static io.cobalt.crypto.chunk.ChunkFormat.TAG_LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.cobalt.crypto.key.DataKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every manipulation of a sealed chunk fails with {@link ChunkAuthenticationException} and yields
 * no plaintext: bit flips, truncation, extension, reordering and splicing.
 */
@ExtendWith(Seeds.Reporter.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChunkTamperTest {
  /** Three segments: two full, a final one of 1000 bytes. */
  private static final int PLAINTEXT_LENGTH = 2 * SEGMENT_SIZE + 1000;

  private final ChunkOpener opener = new ChunkOpener();
  private Random random;
  private DataKey dek;
  private ChunkIdentity id;
  private byte[] plaintext;
  private byte[] chunk;
  private ChunkSealer sealer;

  @BeforeAll
  void sealOneChunk() {
    random = Seeds.random("tamper");
    dek = RandomChunkInputs.dek(random);
    id = RandomChunkInputs.identity(random);
    plaintext = RandomChunkInputs.bytes(random, PLAINTEXT_LENGTH);
    sealer = RandomChunkInputs.sealer(random);
    chunk = sealer.seal(dek, id, plaintext, 0, plaintext.length);
  }

  private static int segmentStart(int i) {
    return HEADER_LENGTH + i * SEGMENT_CIPHERTEXT_SIZE;
  }

  private int segmentEnd(int i) {
    return Math.min(segmentStart(i + 1), chunk.length);
  }

  /** Named sets of bit positions to flip. */
  Stream<Arguments> bitRegions() {
    List<Arguments> regions = new ArrayList<>();
    regions.add(Arguments.of("every header bit", range(0, HEADER_LENGTH * 8)));
    for (int s = 0; s < 3; s++) {
      int start = segmentStart(s);
      int end = segmentEnd(s);
      regions.add(Arguments.of("every tag bit of segment " + s, range((end - TAG_LENGTH) * 8, end * 8)));
      regions.add(Arguments.of("first 64 bytes of segment " + s, range(start * 8, (start + 64) * 8)));
      regions.add(
          Arguments.of(
              "last 64 ciphertext bytes of segment " + s,
              range((end - TAG_LENGTH - 64) * 8, (end - TAG_LENGTH) * 8)));
    }
    Random r = Seeds.random("randomBits");
    regions.add(
        Arguments.of("400 random bits", IntStream.generate(() -> r.nextInt(chunk.length * 8)).limit(400).toArray()));
    return regions.stream();
  }

  private static int[] range(int from, int to) {
    return IntStream.range(from, to).toArray();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bitRegions")
  void everySingleBitFlipFailsAuthentication(String region, int[] bits) {
    for (int bit : bits) {
      byte[] tampered = chunk.clone();
      tampered[bit >>> 3] ^= (byte) (1 << (bit & 7));
      String msg = region + ": flipped bit " + bit + Seeds.replay();
      ChunkAuthenticationException e =
          assertThrows(ChunkAuthenticationException.class, () -> opener.open(dek, id, tampered), msg);
      assertNoKeyMaterial(e, msg);
      // A range read of the segment holding the flipped bit (segment 0 for the header) fails too.
      int byteIndex = bit >>> 3;
      int segment = byteIndex < HEADER_LENGTH ? 0 : (byteIndex - HEADER_LENGTH) / SEGMENT_CIPHERTEXT_SIZE;
      long from = (long) segment * SEGMENT_SIZE;
      int length = (int) Math.min(SEGMENT_SIZE, PLAINTEXT_LENGTH - from);
      assertThrows(
          ChunkAuthenticationException.class,
          () -> opener.openRange(dek, id, tampered, from, length),
          msg);
    }
  }

  /** Both entry points refuse, and release nothing: no return value, only the exception. */
  private void expectRejected(byte[] tampered, String msg) {
    ChunkAuthenticationException e =
        assertThrows(ChunkAuthenticationException.class, () -> opener.open(dek, id, tampered), msg);
    assertNoKeyMaterial(e, msg);
    if (tampered.length == chunk.length) {
      assertThrows(
          ChunkAuthenticationException.class,
          () -> opener.openRange(dek, id, tampered, 0, PLAINTEXT_LENGTH),
          msg);
    }
  }

  private void assertNoKeyMaterial(Exception e, String msg) {
    String text = String.valueOf(e.getMessage());
    assertFalse(text.isEmpty(), msg);
    assertFalse(
        text.toLowerCase().contains(java.util.HexFormat.of().formatHex(dek.copyBytes(), 0, 4)),
        msg);
  }

  @Test
  void namesTheSegmentThatFailed() {
    byte[] tampered = chunk.clone();
    tampered[segmentStart(1) + 5] ^= 1;
    ChunkAuthenticationException e =
        assertThrows(ChunkAuthenticationException.class, () -> opener.open(dek, id, tampered));
    assertTrue(e.getMessage().contains("segment 1 of 3"), e.getMessage());
    byte[] badMagic = chunk.clone();
    badMagic[0] = 'X';
    e = assertThrows(ChunkAuthenticationException.class, () -> opener.open(dek, id, badMagic));
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
    e =
        assertThrows(
            ChunkAuthenticationException.class,
            () -> opener.open(dek, id, Arrays.copyOf(chunk, segmentStart(2) + TAG_LENGTH - 1)));
    assertTrue(e.getMessage().contains("truncated or extended"), e.getMessage());
  }

  @Test
  void truncationAtEverySegmentBoundaryAndAtRandomPointsFails() {
    List<Integer> cuts = new ArrayList<>();
    for (int s = 0; s <= 2; s++) {
      for (int delta = -TAG_LENGTH - 1; delta <= TAG_LENGTH + 1; delta++) {
        cuts.add(segmentStart(s) + delta);
      }
    }
    cuts.add(0);
    cuts.add(HEADER_LENGTH + TAG_LENGTH);
    Random r = Seeds.random("truncate");
    for (int i = 0; i < 200; i++) {
      cuts.add(r.nextInt(chunk.length));
    }
    for (int cut : cuts) {
      expectRejected(Arrays.copyOf(chunk, cut), "truncated to " + cut + Seeds.replay());
    }
  }

  @Test
  void truncatingAFullFinalSegmentChunkAtASegmentBoundaryFails() throws Exception {
    // Three full segments: cutting after segment 0 or 1 leaves a chunk of valid length whose
    // new last segment was sealed as non-final.
    byte[] pt = RandomChunkInputs.bytes(random, 3 * SEGMENT_SIZE);
    byte[] full = sealer.seal(dek, id, pt, 0, pt.length);
    assertArrayEquals(pt, opener.open(dek, id, full));
    for (int keep = 1; keep <= 2; keep++) {
      byte[] cut = Arrays.copyOf(full, segmentStart(keep));
      ChunkFormat.plaintextLength(cut.length); // a valid length, so only the last flag catches it
      ChunkAuthenticationException e =
          assertThrows(ChunkAuthenticationException.class, () -> opener.open(dek, id, cut));
      assertTrue(e.getMessage().contains("(final)"), e.getMessage());
    }
  }

  @Test
  void appendedBytesFail() {
    Random r = Seeds.random("extend");
    for (int extra = 1; extra <= 40; extra++) {
      byte[] longer = Arrays.copyOf(chunk, chunk.length + extra);
      System.arraycopy(RandomChunkInputs.bytes(r, extra), 0, longer, chunk.length, extra);
      expectRejected(longer, "appended " + extra + " bytes" + Seeds.replay());
    }
    byte[] longer = Arrays.copyOf(chunk, chunk.length + SEGMENT_CIPHERTEXT_SIZE);
    expectRejected(longer, "appended a zero segment" + Seeds.replay());
  }

  @Test
  void appendedWholeSegmentSealedUnderTheSameChunkKeyFails() throws Exception {
    // Two chunks under the same key, salt and prefix (what an attacker could at best hope for):
    // A = 2 full segments (segment 1 final), B = 3 full segments (segment 2 final).
    byte[] salt = RandomChunkInputs.bytes(random, 32);
    byte[] prefix = RandomChunkInputs.bytes(random, 7);
    byte[] pt = RandomChunkInputs.bytes(random, 3 * SEGMENT_SIZE);
    byte[] a = ChunkSealer.seal(dek, id, salt, prefix, pt, 0, 2 * SEGMENT_SIZE);
    byte[] b = ChunkSealer.seal(dek, id, salt, prefix, pt, 0, 3 * SEGMENT_SIZE);
    // Same key and nonces: A's segment 0 equals B's segment 0.
    assertTrue(Arrays.equals(a, 0, segmentStart(1), b, 0, segmentStart(1)));
    byte[] extended = Arrays.copyOf(a, b.length);
    System.arraycopy(b, segmentStart(2), extended, segmentStart(2), SEGMENT_CIPHERTEXT_SIZE);
    // Segment 1 of A carries the last flag, so as a middle segment it fails.
    ChunkAuthenticationException e =
        assertThrows(ChunkAuthenticationException.class, () -> opener.open(dek, id, extended));
    assertTrue(e.getMessage().contains("segment 1"), e.getMessage());
    // And B cut back to two segments is not A (B's segment 1 is non-final).
    assertThrows(
        ChunkAuthenticationException.class,
        () -> opener.open(dek, id, Arrays.copyOf(b, a.length)));
  }

  @Test
  void swappedSegmentsFail() throws Exception {
    byte[] pt = RandomChunkInputs.bytes(random, 4 * SEGMENT_SIZE);
    byte[] four = sealer.seal(dek, id, pt, 0, pt.length);
    int[][] swaps = {{0, 1}, {1, 2}, {0, 3}, {2, 3}};
    for (int[] swap : swaps) {
      byte[] swapped = four.clone();
      System.arraycopy(four, segmentStart(swap[0]), swapped, segmentStart(swap[1]), SEGMENT_CIPHERTEXT_SIZE);
      System.arraycopy(four, segmentStart(swap[1]), swapped, segmentStart(swap[0]), SEGMENT_CIPHERTEXT_SIZE);
      assertThrows(
          ChunkAuthenticationException.class,
          () -> opener.open(dek, id, swapped),
          "swapped " + Arrays.toString(swap) + Seeds.replay());
      // The range reads of each moved segment fail too.
      for (int s : swap) {
        int seg = s;
        assertThrows(
            ChunkAuthenticationException.class,
            () -> opener.openRange(dek, id, swapped, (long) seg * SEGMENT_SIZE, 10));
      }
    }
  }

  @Test
  void chunkOpenedUnderAnyOtherIdentityOrKeyFails() {
    byte[] otherObject = id.objectId();
    otherObject[0] ^= 1;
    byte[] otherStream = id.streamId();
    otherStream[15] ^= (byte) 0x80;
    List<ChunkIdentity> others =
        List.of(
            new ChunkIdentity(id.account(), otherObject, id.streamId(), id.chunkIndex()),
            new ChunkIdentity(id.account(), id.objectId(), otherStream, id.chunkIndex()),
            id.withChunkIndex(id.chunkIndex() + 1),
            new ChunkIdentity(id.account() + "x", id.objectId(), id.streamId(), id.chunkIndex()));
    for (ChunkIdentity other : others) {
      assertThrows(
          ChunkAuthenticationException.class,
          () -> opener.open(dek, other, chunk),
          "opened as " + other + Seeds.replay());
      assertThrows(
          ChunkAuthenticationException.class,
          () -> opener.openRange(dek, other, chunk, PLAINTEXT_LENGTH - 1, 1),
          "range opened as " + other + Seeds.replay());
    }
    try (DataKey otherDek = RandomChunkInputs.dek(random)) {
      assertThrows(ChunkAuthenticationException.class, () -> opener.open(otherDek, id, chunk));
    }
  }

  @Test
  void chunksSwappedWithinAStreamFail() throws Exception {
    byte[] pt = RandomChunkInputs.bytes(random, 100);
    byte[] chunk0 = sealer.seal(dek, id.withChunkIndex(0), pt, 0, 50);
    byte[] chunk1 = sealer.seal(dek, id.withChunkIndex(1), pt, 50, 50);
    assertArrayEquals(Arrays.copyOf(pt, 50), opener.open(dek, id.withChunkIndex(0), chunk0));
    assertThrows(ChunkAuthenticationException.class, () -> opener.open(dek, id.withChunkIndex(0), chunk1));
    assertThrows(ChunkAuthenticationException.class, () -> opener.open(dek, id.withChunkIndex(1), chunk0));
  }

  @Test
  void segmentOrHeaderSplicedFromAnotherChunkFails() {
    // Same DEK, same identity, same length: only the random salt and prefix differ.
    byte[] other = sealer.seal(dek, id, plaintext, 0, plaintext.length);
    for (int s = 0; s < 3; s++) {
      byte[] spliced = chunk.clone();
      System.arraycopy(other, segmentStart(s), spliced, segmentStart(s), segmentEnd(s) - segmentStart(s));
      expectRejected(spliced, "segment " + s + " from another chunk" + Seeds.replay());
    }
    byte[] header = chunk.clone();
    System.arraycopy(other, 0, header, 0, HEADER_LENGTH);
    expectRejected(header, "header from another chunk" + Seeds.replay());
    // A chunk of another blob (other DEK and identity) under this one's name.
    Random r = Seeds.random("otherBlob");
    byte[] foreign = sealer.seal(RandomChunkInputs.dek(r), RandomChunkInputs.identity(r), plaintext, 0, plaintext.length);
    expectRejected(foreign, "chunk of another blob" + Seeds.replay());
  }

  @Test
  void everyHeaderFieldIsChecked() {
    int[] fixedOffsets = {0, 1, 2, 3, 4, 5, 6, 7, 47};
    for (int off : fixedOffsets) {
      for (int v = 0; v < 256; v++) {
        if (v == (chunk[off] & 0xFF)) {
          continue;
        }
        byte[] tampered = chunk.clone();
        tampered[off] = (byte) v;
        try {
          opener.open(dek, id, tampered);
          fail("header byte " + off + " = " + v + " accepted");
        } catch (ChunkAuthenticationException expected) {
          assertTrue(expected.getMessage().startsWith("bad header"), expected.getMessage());
        }
      }
    }
  }
}
