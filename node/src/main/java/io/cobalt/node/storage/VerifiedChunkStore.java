package io.cobalt.node.storage;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's chunk rules on top of a {@link ChunkStore}: a chunk is stored only under the SHA-256 of
 * its bytes and only up to {@link #MAX_CHUNK_BYTES}; every read re-hashes, so a bad replica is
 * reported rather than served. Writes are idempotent; a write over a corrupt replica repairs it.
 * Every write, a repeated one too, sets the chunk's last-written time to now, and a chunk-GC delete
 * ({@link #deleteIfWrittenBefore}) is atomic with respect to writes of the same chunk: a concurrent
 * upload that writes the chunk again wins (ADR 0010).
 *
 * <p>Infrastructure (double) encryption (docs/adr/0032): a write may ask for the chunk to be kept
 * under this node's {@link InfrastructureCipher}; the value in the store is then the sealed form and
 * every read opens it before the content-address check, so names, verification, healing and
 * scrubbing all work on the first-layer ciphertext. A sealed value that fails to open is a corrupt
 * replica. Once any write of a chunk asked for the second layer, the chunk keeps it.
 */
public final class VerifiedChunkStore {
  /** 4 MiB of payload plus room for the chunk format's header and tags. */
  public static final int MAX_CHUNK_BYTES = 4 * 1024 * 1024 + 64 * 1024;

  private static final Logger log = LoggerFactory.getLogger(VerifiedChunkStore.class);
  private static final int STRIPES = 64;

  private final ChunkStore store;
  private final Clock clock;
  private final Object[] stripes = new Object[STRIPES];
  private final InfrastructureCipher infrastructure;

  public VerifiedChunkStore(ChunkStore store) {
    this(store, Clock.systemUTC());
  }

  public VerifiedChunkStore(ChunkStore store, Clock clock) {
    this(store, clock, null);
  }

  /**
   * @param infrastructure the node's infrastructure cipher; {@code null}: writes that ask for the
   *     second layer are refused, and sealed values cannot be read
   */
  public VerifiedChunkStore(ChunkStore store, Clock clock, InfrastructureCipher infrastructure) {
    this.store = store;
    this.clock = clock;
    this.infrastructure = infrastructure;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
  }

  public enum PutOutcome {
    STORED,
    ALREADY_PRESENT
  }

  /**
   * Stores {@code data} durably under {@code id}.
   *
   * @throws ChunkRejectedException if {@code data} is too large or does not hash to {@code id}
   */
  public PutOutcome put(ChunkId id, ByteBuffer data) {
    return put(id, data, false);
  }

  /**
   * Stores {@code data} durably under {@code id}; with {@code infrastructureEncryption}, sealed again
   * under the node's infrastructure key (a chunk already stored without it is re-stored sealed).
   *
   * @throws ChunkRejectedException if {@code data} is too large or does not hash to {@code id}, or
   *     the second layer is asked for and this node has no infrastructure key
   */
  public PutOutcome put(ChunkId id, ByteBuffer data, boolean infrastructureEncryption) {
    if (infrastructureEncryption && infrastructure == null) {
      throw new ChunkRejectedException("this node has no infrastructure key; it cannot store a chunk with "
          + "infrastructure encryption");
    }
    if (data.remaining() > MAX_CHUNK_BYTES) {
      throw new ChunkRejectedException(
          "chunk of " + data.remaining() + " bytes exceeds the limit of " + MAX_CHUNK_BYTES + " bytes");
    }
    if (!id.identifies(data)) {
      throw new ChunkRejectedException("chunk data does not hash to its id " + id.hex());
    }
    synchronized (stripe(id)) {
      long now = clock.millis();
      Optional<byte[]> existing = store.get(id);
      if (existing.isPresent()) {
        boolean sealed = InfrastructureCipher.isSealed(existing.get());
        byte[] opened = openedOrNull(id, existing.get());
        if (opened != null && id.identifies(opened) && (sealed || !infrastructureEncryption)) {
          store.touch(id, now);
          return PutOutcome.ALREADY_PRESENT;
        }
        if (opened == null || !id.identifies(opened)) {
          log.warn("replacing corrupt stored chunk {} with a verified copy", id.hex());
        }
      }
      byte[] bytes = new byte[data.remaining()];
      data.duplicate().get(bytes);
      store.put(id, infrastructureEncryption ? infrastructure.seal(id, bytes) : bytes, now);
      return PutOutcome.STORED;
    }
  }

  /**
   * The chunk's bytes, verified against its id; empty if this node does not hold it.
   *
   * @throws CorruptChunkException if the stored bytes no longer hash to {@code id}
   */
  public Optional<byte[]> get(ChunkId id) {
    return read(id).map(ChunkCopy::data);
  }

  /**
   * The chunk's first-layer bytes, verified against its id, and whether it is stored under the
   * infrastructure layer; empty if this node does not hold it.
   *
   * @throws CorruptChunkException if the stored value does not open or no longer hashes to {@code id}
   */
  public Optional<ChunkCopy> read(ChunkId id) {
    Optional<byte[]> stored = store.get(id);
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    byte[] opened = openedOrNull(id, stored.get());
    if (opened == null || !id.identifies(opened)) {
      throw new CorruptChunkException(id);
    }
    return Optional.of(new ChunkCopy(opened, InfrastructureCipher.isSealed(stored.get())));
  }

  /** {@code stored} without its infrastructure layer; null if it is sealed and does not open here. */
  private byte[] openedOrNull(ChunkId id, byte[] stored) {
    if (!InfrastructureCipher.isSealed(stored)) {
      return stored;
    }
    if (infrastructure == null) {
      return null;
    }
    try {
      return infrastructure.open(id, stored);
    } catch (CorruptChunkException e) {
      return null;
    }
  }

  private boolean good(ChunkId id, byte[] stored) {
    byte[] opened = openedOrNull(id, stored);
    return opened != null && id.identifies(opened);
  }

  /** Whether the chunk is stored here (by key, not verified). */
  public boolean contains(ChunkId id) {
    return store.contains(id);
  }

  /** The outcome of {@link #verify}. */
  public enum Verdict {
    ABSENT,
    GOOD,
    /** The stored bytes did not hash to the id; they were removed. */
    CORRUPT_REMOVED
  }

  /**
   * Re-hashes the stored chunk (after opening its infrastructure layer, if it has one); a corrupt replica is removed (under the chunk's lock, and only if it
   * is still the corrupt one), so that a repair can write a good copy and readers fail over at once.
   *
   * @param sizeOut receives the number of bytes read (index 0), for throttling
   */
  public Verdict verify(ChunkId id, long[] sizeOut) {
    Optional<byte[]> stored = store.get(id);
    sizeOut[0] = stored.map(b -> (long) b.length).orElse(0L);
    if (stored.isEmpty()) {
      return Verdict.ABSENT;
    }
    if (good(id, stored.get())) {
      return Verdict.GOOD;
    }
    synchronized (stripe(id)) {
      Optional<byte[]> again = store.get(id);
      if (again.isEmpty() || good(id, again.get())) {
        return again.isEmpty() ? Verdict.ABSENT : Verdict.GOOD; // repaired meanwhile
      }
      store.delete(id);
    }
    log.warn("removed corrupt stored chunk {}", id.hex());
    return Verdict.CORRUPT_REMOVED;
  }

  /**
   * The chunk's last-written time; a chunk without one (stored before times were kept) gets now,
   * so the GC delay starts counting from the first time GC sees it.
   */
  public OptionalLong writtenMillis(ChunkId id) {
    synchronized (stripe(id)) {
      OptionalLong t = store.writtenMillis(id);
      if (t.isPresent() || !store.contains(id)) {
        return t;
      }
      long now = clock.millis();
      store.touch(id, now);
      return OptionalLong.of(now);
    }
  }

  /**
   * Deletes the chunk if its last-written time is still before {@code cutoffMillis}, atomically with
   * respect to {@link #put} of the same chunk. Returns whether it deleted.
   */
  public boolean deleteIfWrittenBefore(ChunkId id, long cutoffMillis) {
    synchronized (stripe(id)) {
      OptionalLong t = store.writtenMillis(id);
      if (t.isEmpty() || t.getAsLong() >= cutoffMillis) {
        return false;
      }
      store.delete(id);
      return true;
    }
  }

  /** Up to {@code limit} stored ids after {@code after} (null: from the first), in byte order. */
  public List<ChunkId> idsAfter(ChunkId after, int limit) {
    return store.idsAfter(after, limit);
  }

  public long estimatedCount() {
    return store.estimatedCount();
  }

  private Object stripe(ChunkId id) {
    return stripes[Math.floorMod(id.hashCode(), STRIPES)];
  }
}
