package io.cobalt.node.storage.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.chunk.CipherWarmup;
import io.cobalt.node.storage.ChunkCopy;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.ChunkRejectedException;
import io.cobalt.node.storage.CorruptChunkException;
import io.cobalt.node.storage.InfrastructureCipher;
import io.cobalt.node.storage.VerifiedChunkStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Infrastructure (double) encryption on a node (ADR 0032): what RocksDB holds for a chunk written
 * with the flag, how it reads back, and what a wrong key, a moved value or a bad disk do to it.
 */
class InfrastructureEncryptionTest {
  @TempDir Path dir;

  private final Random random = new Random(32);

  /** Bytes shaped like a first-layer chunk: the crypto module's "CBLT" header, then ciphertext. */
  private byte[] firstLayer(int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    System.arraycopy(new byte[] {'C', 'B', 'L', 'T', 1, 1, 16, 0}, 0, b, 0, 8);
    return b;
  }

  private InfrastructureCipher cipher(Path keyFile) throws IOException {
    return InfrastructureCipher.loadOrCreate(keyFile, new SecureRandom());
  }

  @Test
  void storedValueOfADoubleEncryptedChunkDiffersFromTheFirstLayerAndOpensBack() throws IOException {
    byte[] chunk = firstLayer(256 * 1024);
    ChunkId id = ChunkId.ofContent(chunk);
    Path keyFile = dir.resolve("infrastructure.key");
    Path db = dir.resolve("rocksdb");
    try (RocksStorage storage = RocksStorage.open(db, RocksStorageConfig.defaults())) {
      VerifiedChunkStore chunks = new VerifiedChunkStore(storage.chunks(), Clock.systemUTC(), cipher(keyFile));
      assertEquals(VerifiedChunkStore.PutOutcome.STORED, chunks.put(id, ByteBuffer.wrap(chunk), true));

      byte[] stored = storage.chunks().get(id).orElseThrow(); // the raw RocksDB value
      assertTrue(InfrastructureCipher.isSealed(stored));
      assertEquals(chunk.length + InfrastructureCipher.OVERHEAD, stored.length);
      assertFalse(Arrays.equals(chunk, stored));
      assertEquals(-1, indexOf(stored, Arrays.copyOfRange(chunk, 0, 64)), "no run of the first layer is stored");
      assertFalse(id.identifies(stored), "the stored value is not the content-addressed chunk");

      ChunkCopy read = chunks.read(id).orElseThrow();
      assertArrayEquals(chunk, read.data());
      assertTrue(read.infrastructureEncrypted());
      assertArrayEquals(chunk, chunks.get(id).orElseThrow());
      assertEquals(VerifiedChunkStore.Verdict.GOOD, chunks.verify(id, new long[1]), "the scrubber opens the layer");
      storage.flush();
    }
    // After a restart, with the key file the node created on first start.
    try (RocksStorage storage = RocksStorage.open(db, RocksStorageConfig.defaults())) {
      VerifiedChunkStore chunks = new VerifiedChunkStore(storage.chunks(), Clock.systemUTC(), cipher(keyFile));
      assertArrayEquals(chunk, chunks.get(id).orElseThrow());
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
    }
  }

  @Test
  void chunksWithoutTheFlagAreStoredAsBeforeAndAnUpgradeKeepsTheLayer() throws IOException {
    byte[] plain = firstLayer(10_000);
    byte[] upgraded = firstLayer(10_000);
    ChunkId plainId = ChunkId.ofContent(plain);
    ChunkId upgradedId = ChunkId.ofContent(upgraded);
    try (RocksStorage storage = RocksStorage.open(dir.resolve("rocksdb"), RocksStorageConfig.defaults())) {
      VerifiedChunkStore chunks =
          new VerifiedChunkStore(storage.chunks(), Clock.systemUTC(), cipher(dir.resolve("k")));
      chunks.put(plainId, ByteBuffer.wrap(plain), false);
      assertArrayEquals(plain, storage.chunks().get(plainId).orElseThrow());
      assertFalse(chunks.read(plainId).orElseThrow().infrastructureEncrypted());

      chunks.put(upgradedId, ByteBuffer.wrap(upgraded), false);
      assertEquals(VerifiedChunkStore.PutOutcome.STORED, chunks.put(upgradedId, ByteBuffer.wrap(upgraded), true),
          "a write that asks for the layer re-stores a plain copy sealed");
      assertTrue(InfrastructureCipher.isSealed(storage.chunks().get(upgradedId).orElseThrow()));
      assertEquals(VerifiedChunkStore.PutOutcome.ALREADY_PRESENT,
          chunks.put(upgradedId, ByteBuffer.wrap(upgraded), false), "a later plain write does not drop the layer");
      assertTrue(InfrastructureCipher.isSealed(storage.chunks().get(upgradedId).orElseThrow()));
      assertArrayEquals(upgraded, chunks.get(upgradedId).orElseThrow());
    }
  }

  @Test
  void aSealedValueOpensOnlyUnderItsOwnKeyAndItsOwnId() throws IOException {
    byte[] chunk = firstLayer(70_000);
    byte[] other = firstLayer(70_000);
    ChunkId id = ChunkId.ofContent(chunk);
    ChunkId otherId = ChunkId.ofContent(other);
    try (RocksStorage storage = RocksStorage.open(dir.resolve("rocksdb"), RocksStorageConfig.defaults())) {
      VerifiedChunkStore chunks =
          new VerifiedChunkStore(storage.chunks(), Clock.systemUTC(), cipher(dir.resolve("a.key")));
      chunks.put(id, ByteBuffer.wrap(chunk), true);
      byte[] sealed = storage.chunks().get(id).orElseThrow();

      // Another node's key (its own file) cannot open it: a bad replica there, never wrong bytes.
      VerifiedChunkStore elsewhere =
          new VerifiedChunkStore(storage.chunks(), Clock.systemUTC(), cipher(dir.resolve("b.key")));
      assertThrows(CorruptChunkException.class, () -> elsewhere.get(id));

      // The value moved under another id fails authentication (the id is associated data).
      storage.chunks().put(otherId, sealed, 0L);
      assertThrows(CorruptChunkException.class, () -> chunks.get(otherId));

      // A flipped bit on disk: the read fails, the scrubber removes the replica for repair.
      assertTrue(RocksChunkStore.corruptStoredChunkForTest(storage, id));
      assertThrows(CorruptChunkException.class, () -> chunks.get(id));
      assertEquals(VerifiedChunkStore.Verdict.CORRUPT_REMOVED, chunks.verify(id, new long[1]));
      assertTrue(chunks.get(id).isEmpty());
      // ...and a repair writes a good copy again.
      chunks.put(id, ByteBuffer.wrap(chunk), true);
      assertArrayEquals(chunk, chunks.get(id).orElseThrow());
    }
  }

  @Test
  void aNodeWithoutAnInfrastructureKeyRefusesTheFlag() throws IOException {
    byte[] chunk = firstLayer(100);
    try (RocksStorage storage = RocksStorage.open(dir.resolve("rocksdb"), RocksStorageConfig.defaults())) {
      VerifiedChunkStore chunks = new VerifiedChunkStore(storage.chunks());
      assertThrows(ChunkRejectedException.class,
          () -> chunks.put(ChunkId.ofContent(chunk), ByteBuffer.wrap(chunk), true));
      assertTrue(storage.chunks().get(ChunkId.ofContent(chunk)).isEmpty());
    }
  }

  @Test
  void keyFilesAreVersionedPrivateAndNeverEchoed() throws IOException {
    Path file = dir.resolve("ring.key");
    byte[] k1 = new byte[32];
    byte[] k2 = new byte[32];
    random.nextBytes(k1);
    random.nextBytes(k2);
    java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, "# two versions\n1 " + b64.encodeToString(k1) + "\n", StandardCharsets.US_ASCII);
    InfrastructureCipher v1 = cipher(file);
    byte[] chunk = firstLayer(1000);
    ChunkId id = ChunkId.ofContent(chunk);
    byte[] sealedUnderV1 = v1.seal(id, chunk);

    Files.writeString(file, "1 " + b64.encodeToString(k1) + "\n2 " + b64.encodeToString(k2) + "\n",
        StandardCharsets.US_ASCII);
    InfrastructureCipher ring = cipher(file);
    assertEquals(2, ring.currentVersion());
    assertArrayEquals(chunk, ring.open(id, sealedUnderV1), "older versions still open");
    assertArrayEquals(chunk, ring.open(id, ring.seal(id, chunk)));
    assertThrows(CorruptChunkException.class, () -> v1.open(id, ring.seal(id, chunk)), "v1 alone lacks v2");

    String secretish = b64.encodeToString(k1);
    Files.writeString(file, "1 " + secretish + " trailing\n", StandardCharsets.US_ASCII);
    IOException bad = assertThrows(IOException.class, () -> cipher(file));
    assertFalse(bad.getMessage().contains(secretish), bad.getMessage());

    Files.writeString(file, "1 " + secretish + "\n", StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    assertThrows(IOException.class, () -> cipher(file));
  }

  /**
   * The cost of the second layer on one node: chunk writes and reads through the verified store on
   * RocksDB with and without it. Prints MB/s (docs/operations.md records them); asserts only that
   * both ways round-trip.
   */
  @Test
  void costOfTheSecondLayer() throws IOException {
    CipherWarmup.run(); // as NodeServer does: AES-GCM and SHA-256 compiled before measuring
    int chunkBytes = 4 * 1024 * 1024;
    int count = Integer.getInteger("cobalt.infra.bench.chunks", 16);
    byte[][] data = new byte[count][];
    for (int i = 0; i < count; i++) {
      data[i] = firstLayer(chunkBytes);
    }
    try (RocksStorage storage = RocksStorage.open(dir.resolve("rocksdb"), RocksStorageConfig.defaults())) {
      VerifiedChunkStore chunks =
          new VerifiedChunkStore(storage.chunks(), Clock.systemUTC(), cipher(dir.resolve("bench.key")));
      for (int round = 0; round < 2; round++) { // the first round warms the JIT up
        for (boolean infra : new boolean[] {false, true}) {
          long t0 = System.nanoTime();
          for (int i = 0; i < count; i++) {
            data[i][100] = (byte) (round * 2 + (infra ? 1 : 0)); // a new chunk per round and mode
            chunks.put(ChunkId.ofContent(data[i]), ByteBuffer.wrap(data[i]), infra);
          }
          long t1 = System.nanoTime();
          for (byte[] d : data) {
            assertArrayEquals(d, chunks.get(ChunkId.ofContent(d)).orElseThrow());
          }
          long t2 = System.nanoTime();
          if (round == 1) {
            double mb = (double) count * chunkBytes / (1024 * 1024);
            System.out.printf("infrastructure encryption %s: write %.0f MiB/s, read %.0f MiB/s (%d x 4 MiB)%n",
                infra ? "on " : "off", mb / ((t1 - t0) / 1e9), mb / ((t2 - t1) / 1e9), count);
          }
        }
      }
      // The layer alone, in memory.
      InfrastructureCipher c = cipher(dir.resolve("bench.key"));
      ChunkId id = ChunkId.ofContent(data[0]);
      for (int round = 0; round < 2; round++) {
        long t0 = System.nanoTime();
        byte[] last = null;
        for (byte[] d : data) {
          last = c.seal(id, d);
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < count; i++) {
          c.open(id, last);
        }
        long t2 = System.nanoTime();
        if (round == 1) {
          double mb = (double) count * chunkBytes / (1024 * 1024);
          System.out.printf("infrastructure layer alone: seal %.0f MiB/s, open %.0f MiB/s%n",
              mb / ((t1 - t0) / 1e9), mb / ((t2 - t1) / 1e9));
        }
      }
    }
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
