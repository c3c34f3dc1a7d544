package io.cobalt.node.storage.rocksdb;

import io.cobalt.node.storage.ChunkId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.rocksdb.RocksIterator;

/**
 * Fault injection for chaos tests: damages stored chunk replicas of a <em>stopped</em> node, the way
 * a bad disk sector or a torn write would, so that its reads fail the hash check and readers must
 * fail over to another replica. Never used by a running node; opening the database fails while the
 * node holds it (RocksDB's lock), so it cannot damage a live store by mistake.
 */
public final class ChunkStoreFaults {
  /** How a chunk's stored value is damaged. */
  public enum Mode {
    /** One bit of one byte (at a seeded position) inverted; the length stays. */
    FLIP,
    /** The value cut to a seeded length shorter than it was (possibly empty). */
    TRUNCATE
  }

  /** At most this many chunk ids are listed to choose from (a chaos store holds far fewer). */
  private static final int MAX_LISTED = 1_000_000;

  private ChunkStoreFaults() {}

  /**
   * Damages {@code count} chunks chosen at random (from {@code seed}) among those stored in the
   * RocksDB at {@code rocksDbDir} (the node's {@code NodeServer.rocksDbDir(dataDir)}), skipping the
   * ids in {@code exclude} (e.g. chunks already damaged on another replica, which would make a
   * chunk unreadable everywhere rather than test fail-over).
   *
   * @return the damaged chunks' ids, hex, in the order chosen; fewer than {@code count} if the store
   *     holds fewer eligible chunks
   * @throws IOException if the database is missing or in use (the node still runs)
   */
  public static List<String> corrupt(Path rocksDbDir, int count, long seed, Mode mode, Set<String> exclude)
      throws IOException {
    if (count < 0) {
      throw new IllegalArgumentException("count must be >= 0, was " + count);
    }
    if (!Files.isDirectory(rocksDbDir)) {
      throw new IOException("no RocksDB at " + rocksDbDir);
    }
    Random random = new Random(seed);
    try (RocksStorage storage = RocksStorage.open(rocksDbDir, RocksStorageConfig.defaults())) {
      List<byte[]> ids = storage.guarded("chunk listing", db -> {
        List<byte[]> all = new ArrayList<>();
        try (RocksIterator it = db.newIterator(storage.chunksCf())) {
          for (it.seekToFirst(); it.isValid() && all.size() < MAX_LISTED; it.next()) {
            all.add(it.key());
          }
          it.status();
        }
        return all;
      });
      List<byte[]> eligible = new ArrayList<>();
      Set<String> skip = new HashSet<>(exclude);
      for (byte[] id : ids) {
        if (id.length == ChunkId.LENGTH && !skip.contains(ChunkId.of(id).hex())) {
          eligible.add(id);
        }
      }
      Collections.shuffle(eligible, random); // keys come sorted, so the same store gives the same choice
      List<String> damaged = new ArrayList<>();
      for (byte[] key : eligible.subList(0, Math.min(count, eligible.size()))) {
        ChunkId id = ChunkId.of(key);
        byte[] value = storage.chunks().get(id).orElseThrow();
        // Keep the chunk's last-written time: the damage must not look like a fresh write to the GC.
        long written = storage.chunks().writtenMillis(id).orElse(0L);
        storage.chunks().put(id, damage(value, mode, random), written);
        damaged.add(id.hex());
      }
      return damaged;
    }
  }

  /** The damaged copy of {@code value}; never equal to it. */
  static byte[] damage(byte[] value, Mode mode, Random random) {
    return switch (mode) {
      case FLIP -> {
        if (value.length == 0) {
          yield new byte[] {1};
        }
        byte[] v = value.clone();
        int at = random.nextInt(v.length);
        v[at] ^= (byte) (1 << random.nextInt(8));
        yield v;
      }
      case TRUNCATE -> value.length == 0 ? new byte[] {0} : Arrays.copyOf(value, random.nextInt(value.length));
    };
  }
}
