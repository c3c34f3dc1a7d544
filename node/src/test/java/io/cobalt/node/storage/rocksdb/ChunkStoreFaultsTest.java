package io.cobalt.node.storage.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.CorruptChunkException;
import io.cobalt.node.storage.VerifiedChunkStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkStoreFaultsTest {
  @TempDir Path dir;

  private List<byte[]> store(Path at, int n) throws IOException {
    List<byte[]> chunks = new ArrayList<>();
    Random r = new Random(7);
    try (RocksStorage storage = RocksStorage.open(at, RocksStorageConfig.defaults())) {
      for (int i = 0; i < n; i++) {
        byte[] c = new byte[1 + r.nextInt(10_000)];
        r.nextBytes(c);
        storage.chunks().put(ChunkId.ofContent(c), c, 1_000L);
        chunks.add(c);
      }
    }
    return chunks;
  }

  @Test
  void damagedChunksFailTheHashCheckAndTheOthersReadBack() throws IOException {
    for (ChunkStoreFaults.Mode mode : ChunkStoreFaults.Mode.values()) {
      Path db = dir.resolve(mode.name());
      List<byte[]> chunks = store(db, 20);
      List<String> damaged = ChunkStoreFaults.corrupt(db, 5, 42, mode, Set.of());
      assertEquals(5, new HashSet<>(damaged).size());
      try (RocksStorage storage = RocksStorage.open(db, RocksStorageConfig.defaults())) {
        VerifiedChunkStore verified = new VerifiedChunkStore(storage.chunks());
        for (byte[] c : chunks) {
          ChunkId id = ChunkId.ofContent(c);
          if (damaged.contains(id.hex())) {
            assertThrows(CorruptChunkException.class, () -> verified.get(id), mode + " " + id.hex());
            byte[] stored = storage.chunks().get(id).orElseThrow();
            assertTrue(mode == ChunkStoreFaults.Mode.FLIP ? stored.length == c.length : stored.length < c.length);
            assertEquals(1_000L, storage.chunks().writtenMillis(id).orElseThrow(), "last-written time kept");
          } else {
            assertArrayEquals(c, verified.get(id).orElseThrow());
          }
        }
      }
    }
  }

  @Test
  void theSameSeedPicksTheSameChunksAndExcludedOnesAreSkipped() throws IOException {
    store(dir.resolve("a"), 30);
    store(dir.resolve("b"), 30);
    List<String> a = ChunkStoreFaults.corrupt(dir.resolve("a"), 4, 9, ChunkStoreFaults.Mode.FLIP, Set.of());
    List<String> b = ChunkStoreFaults.corrupt(dir.resolve("b"), 4, 9, ChunkStoreFaults.Mode.FLIP, Set.of());
    assertEquals(a, b);
    List<String> more = ChunkStoreFaults.corrupt(dir.resolve("b"), 30, 10, ChunkStoreFaults.Mode.TRUNCATE,
        new HashSet<>(b));
    assertEquals(26, more.size(), "every chunk but the 4 excluded");
    assertTrue(more.stream().noneMatch(b::contains));
  }

  @Test
  void aStoreInUseIsRefused() throws IOException {
    store(dir, 1);
    try (RocksStorage running = RocksStorage.open(dir, RocksStorageConfig.defaults())) {
      assertThrows(IOException.class, () -> ChunkStoreFaults.corrupt(dir, 1, 1, ChunkStoreFaults.Mode.FLIP, Set.of()));
    }
  }
}
