package io.cobalt.node.storage.rocksdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.StateChange;
import io.cobalt.node.storage.StorageException;
import io.cobalt.proto.node.v1.ContainerRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksStorageTest {
  @TempDir Path dir;

  @Test
  void largeChunksAreWrittenToBlobFiles() throws IOException {
    byte[] large = new byte[64 * 1024];
    new Random(1).nextBytes(large);
    byte[] small = {1, 2, 3};
    try (RocksStorage storage = RocksStorage.open(dir, RocksStorageConfig.defaults())) {
      storage.chunks().put(ChunkId.ofContent(large), large, 0L);
      storage.chunks().put(ChunkId.ofContent(small), small, 0L);
      storage.flush();
      assertTrue(count(dir, ".blob") >= 1, "a blob file holds the large chunk");
    }
    try (RocksStorage storage = RocksStorage.open(dir, RocksStorageConfig.defaults())) {
      assertArrayEquals(large, storage.chunks().get(ChunkId.ofContent(large)).orElseThrow());
      assertArrayEquals(small, storage.chunks().get(ChunkId.ofContent(small)).orElseThrow());
    }
  }

  @Test
  void metadataKeysStartWithThePartitionNumberAndRecordType() {
    byte[] key = MetaKeys.container(0x01020304, "acct", "c");
    assertArrayEquals(new byte[] {1, 2, 3, 4, 'C', 'a', 'c', 'c', 't', 0, 'c'}, key);
    byte[] blob = MetaKeys.blob(7, "a", ByteString.copyFrom(new byte[16]), "n");
    assertEquals(4 + 1 + 1 + 1 + 16 + 1, blob.length);
    assertArrayEquals(new byte[] {0, 0, 0, 7, 'B'}, java.util.Arrays.copyOf(blob, 5));
    assertArrayEquals(new byte[] {0, 0, 0, 7, 'I'}, MetaKeys.appliedIndex(7));
  }

  @Test
  void commitWritesTheChangeAndTheAppliedIndexTogether() throws IOException {
    ContainerRecord c = ContainerRecord.newBuilder().setAccount("a").setName("c")
        .setContainerId(ByteString.copyFrom(ByteBuffer.allocate(16).putLong(3).array())).build();
    try (RocksStorage storage = RocksStorage.open(dir, RocksStorageConfig.defaults())) {
      storage.metadata().commit(2, 41, new StateChange.PutContainer(c));
    }
    try (RocksStorage storage = RocksStorage.open(dir, RocksStorageConfig.defaults())) {
      assertEquals(41, storage.metadata().appliedIndex(2));
      assertEquals(0, storage.metadata().appliedIndex(1));
      assertEquals(c, storage.metadata().container(2, "a", "c").orElseThrow());
      assertTrue(storage.metadata().container(1, "a", "c").isEmpty());
    }
  }

  @Test
  void useAfterCloseFailsWithStorageException() throws IOException {
    RocksStorage storage = RocksStorage.open(dir, RocksStorageConfig.defaults());
    storage.close();
    storage.close();
    ChunkId id = ChunkId.ofContent(new byte[1]);
    assertThrows(StorageException.class, () -> storage.chunks().get(id));
    assertThrows(StorageException.class, () -> storage.metadata().appliedIndex(0));
  }

  private static long count(Path dir, String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(suffix)).count();
    }
  }
}
