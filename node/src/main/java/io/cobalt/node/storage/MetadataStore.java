package io.cobalt.node.storage;

import com.google.protobuf.ByteString;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.EntityBatchPart;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.MessageRecord;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.ServicePropertiesRecord;
import io.cobalt.proto.node.v1.StorageServiceKind;
import io.cobalt.proto.node.v1.SubmitRecord;
import io.cobalt.proto.node.v1.TableRecord;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.util.List;
import java.util.Optional;

/**
 * Persistence SPI for the partitions' metadata state. Every partition's keys are separate (so one
 * partition can be checkpointed alone), and {@link #commit} writes a state change together with the
 * partition's applied index, atomically. Names compare as UTF-8 bytes. All methods block.
 *
 * @throws StorageException from any method when the underlying store fails or is closed
 */
public interface MetadataStore {
  /** The index of the last command applied to {@code partition}; 0 if none. */
  long appliedIndex(int partition);

  Optional<ContainerRecord> container(int partition, String account, String name);

  Optional<BlobRecord> blob(int partition, String account, ByteString containerId, String name);

  /** Containers of {@code account} whose names start with {@code prefix} and are greater than {@code marker}. */
  Page<ContainerRecord> containers(int partition, String account, String prefix, String marker, int limit);

  /** Blobs of one container whose names start with {@code prefix} and are greater than {@code marker}. */
  Page<BlobRecord> blobs(int partition, String account, ByteString containerId, String prefix, String marker,
      int limit);

  /** The blob's uncommitted blocks in block id order (unsigned bytes), at most {@code limit}. */
  List<UncommittedBlock> uncommittedBlocks(int partition, String account, ByteString containerId, String name,
      int limit);

  Optional<UncommittedBlock> uncommittedBlock(int partition, String account, ByteString containerId, String name,
      ByteString blockId);

  /** One snapshot of a blob (ADR 0022), by its snapshot time as stored. */
  Optional<BlobRecord> snapshot(int partition, String account, ByteString containerId, String name, String snapshot);

  /** The blob's snapshots, oldest first (snapshot times in byte order), at most {@code limit}. */
  List<BlobRecord> snapshots(int partition, String account, ByteString containerId, String name, int limit);

  /** The table whose lower-case name is {@code name.toLowerCase(Locale.ROOT)}. */
  Optional<TableRecord> table(int partition, String account, String name);

  /** Tables of {@code account} whose lower-case names start with {@code prefix} and are greater than {@code marker}. */
  Page<TableRecord> tables(int partition, String account, String prefix, String marker, int limit);

  Optional<EntityRecord> entity(int partition, String account, ByteString tableId, String partitionKey, String rowKey);

  /**
   * Entities of one table in (PartitionKey, RowKey) order (each key in UTF-8 byte order), from
   * (fromPk, fromRk) inclusive; with {@code toPk} non-null, none whose PartitionKey is above it.
   */
  Page<EntityRecord> entities(int partition, String account, ByteString tableId, String fromPk, String fromRk,
      String toPk, int limit);

  Optional<QueueRecord> queue(int partition, String account, String name);

  /** The account's properties of {@code service}, if they were ever set in this partition. */
  Optional<ServicePropertiesRecord> serviceProperties(int partition, String account, StorageServiceKind service);

  /** Queues of {@code account} whose names start with {@code prefix} and are greater than {@code marker}. */
  Page<QueueRecord> queues(int partition, String account, String prefix, String marker, int limit);

  /** Messages of one queue in sequence order, from {@code fromSequence} inclusive. */
  Page<MessageRecord> messages(int partition, String account, ByteString queueId, long fromSequence, int limit);

  Optional<MessageRecord> message(int partition, String account, ByteString queueId, long sequence);

  /**
   * The records of {@code partition} that hold wrapped DEKs — blobs, blob snapshots, uncommitted
   * blocks, tables and queues, as {@code PutBlob}, {@code PutSnapshot}, {@code StageBlock},
   * {@code PutTable} and {@code PutQueue} — in a
   * walk order fixed by the store, strictly after {@code after} (empty: from the start), at most
   * {@code limit}. Each comes with its position, to pass as {@code after} for the next page. The
   * position depends only on the record's identity, so the same state gives the same positions on
   * every replica. Other records (entities, messages) are skipped without being read one by one.
   */
  Page<DekRecord> dekRecords(int partition, ByteString after, int limit);

  /** A record holding wrapped DEKs and its position in the walk of {@link #dekRecords}. */
  record DekRecord(ByteString position, StateChange record) {}

  /** The remembered submit with this id (ADR 0024), if it is still in the partition's window. */
  Optional<SubmitRecord> submit(int partition, ByteString submitId);

  /** The latest {@code submit_epoch_millis} among the partition's remembered submits; 0 if none. */
  long newestSubmitMillis(int partition);

  /**
   * Remembered submits of {@code partition} whose time is before {@code beforeMillis}, oldest first
   * (ties in submit id order), at most {@code limit}, as the changes that forget them.
   */
  List<StateChange.ForgetSubmit> submitsBefore(int partition, long beforeMillis, int limit);

  /** A staged part of a large entity-group transaction (ADR 0025). */
  Optional<EntityBatchPart> batchPart(int partition, long stagedEpochMillis, ByteString batchId, int index);

  /** Staged parts of {@code partition} older than {@code beforeMillis}, oldest first, at most {@code limit}. */
  List<StateChange.RemoveBatchPart> batchPartsBefore(int partition, long beforeMillis, int limit);

  /** The staged-blob record of a blob that has uncommitted blocks (ADR 0026), if any. */
  Optional<io.cobalt.proto.node.v1.StagedBlobRecord> stagedBlob(int partition, String account, ByteString containerId,
      String name);

  /** Staged-blob records of one container whose names start with {@code prefix} and are greater than {@code marker}. */
  Page<io.cobalt.proto.node.v1.StagedBlobRecord> stagedBlobs(int partition, String account, ByteString containerId,
      String prefix, String marker, int limit);

  /**
   * Entries of the staged-blob time index before {@code beforeMillis}, oldest first (then by blob),
   * at most {@code limit}; each says whether it is its blob's current entry (the record exists and
   * was last staged at that time) or a stale one.
   */
  List<StagedTime> stagedTimesBefore(int partition, long beforeMillis, int limit);

  /** An entry of the staged-blob time index; {@code current}: the blob's record was last staged at {@code millis}. */
  record StagedTime(long millis, String account, ByteString containerId, String name, boolean current) {}

  /**
   * Applies {@code change} and sets the applied index of {@code partition} to {@code index}, in one
   * atomic write (synced or not, as the store was opened: state and index are never out of step).
   */
  void commit(int partition, long index, StateChange change);

  /**
   * Every record of {@code partition} as the changes that rebuild it from empty (PutContainer,
   * PutBlob, PutSnapshot, StageBlock: blobs before their uncommitted blocks; PutTable, PutEntity, PutQueue, ChangeMessages with one put each, RememberSubmit, PutBatchPart), from one consistent view. For
   * partition images (snapshots); the caller must not commit to the partition meanwhile.
   */
  List<StateChange> records(int partition);

  /**
   * Replaces the whole state of {@code partition} with {@code records} (as {@link #records} returns
   * them) and sets its applied index to {@code index}, in one atomic, synced write.
   */
  void replacePartition(int partition, long index, List<StateChange> records);

  /**
   * The chunk references of up to {@code maxRecords} records (committed blobs, then blob snapshots,
   * then staged blocks)
   * of {@code partition}, starting after {@code cursor} (empty: from the start), from one
   * consistent view. For healing (ADR 0010): the page's {@link ChunkRefPage#next} resumes the walk.
   */
  ChunkRefPage chunkRefs(int partition, byte[] cursor, int maxRecords);

  /** Makes every commit so far durable, whatever the store's write mode. */
  void sync();
}
