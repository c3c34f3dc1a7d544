package io.cobalt.node.storage.rocksdb;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cobalt.node.storage.ChunkRefPage;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.Page;
import io.cobalt.node.storage.StateChange;
import io.cobalt.node.storage.StorageException;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.StagedBlobRecord;
import io.cobalt.proto.node.v1.ChunkRef;
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
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Partition state in the {@code meta} column family; values are the protobuf records. A commit is
 * one {@code WriteBatch} (state change + applied index), written either synced (the state is the
 * only durable record) or to RocksDB's WAL without fsync (a replicated log is the durable record:
 * see {@link RocksStorage#metadataBehindLog()}).
 */
public final class RocksMetadataStore implements MetadataStore {
  private final RocksStorage storage;
  private final WriteOptions commitOptions;

  RocksMetadataStore(RocksStorage storage, WriteOptions commitOptions) {
    this.storage = storage;
    this.commitOptions = commitOptions;
  }

  @Override
  public long appliedIndex(int partition) {
    byte[] v = storage.guarded("applied index read",
        db -> db.get(storage.metaCf(), storage.read(), MetaKeys.appliedIndex(partition)));
    if (v == null) {
      return 0;
    }
    if (v.length != Long.BYTES) {
      throw new StorageException("corrupt applied index of partition " + partition);
    }
    return ByteBuffer.wrap(v).getLong();
  }

  @Override
  public Optional<ContainerRecord> container(int partition, String account, String name) {
    byte[] v = storage.guarded("container read",
        db -> db.get(storage.metaCf(), storage.read(), MetaKeys.container(partition, account, name)));
    return v == null ? Optional.empty() : Optional.of(parseContainer(v));
  }

  @Override
  public Optional<BlobRecord> blob(int partition, String account, ByteString containerId, String name) {
    byte[] v = storage.guarded("blob read",
        db -> db.get(storage.metaCf(), storage.read(), MetaKeys.blob(partition, account, containerId, name)));
    return v == null ? Optional.empty() : Optional.of(parseBlob(v));
  }

  @Override
  public Page<ContainerRecord> containers(int partition, String account, String prefix, String marker, int limit) {
    return scan(MetaKeys.containersOf(partition, account), prefix, marker, limit, RocksMetadataStore::parseContainer);
  }

  @Override
  public Page<BlobRecord> blobs(
      int partition, String account, ByteString containerId, String prefix, String marker, int limit) {
    return scan(MetaKeys.blobsOf(partition, account, containerId), prefix, marker, limit, RocksMetadataStore::parseBlob);
  }

  @Override
  public List<UncommittedBlock> uncommittedBlocks(
      int partition, String account, ByteString containerId, String name, int limit) {
    return scan(MetaKeys.uncommittedOf(partition, account, containerId, name), "", "", limit,
        RocksMetadataStore::parseBlock).items();
  }

  @Override
  public Optional<UncommittedBlock> uncommittedBlock(
      int partition, String account, ByteString containerId, String name, ByteString blockId) {
    byte[] v = storage.guarded("uncommitted block read", db -> db.get(storage.metaCf(), storage.read(),
        MetaKeys.uncommitted(partition, account, containerId, name, blockId)));
    return v == null ? Optional.empty() : Optional.of(parseBlock(v));
  }

  @Override
  public Optional<BlobRecord> snapshot(
      int partition, String account, ByteString containerId, String name, String snapshot) {
    byte[] v = storage.guarded("snapshot read", db -> db.get(storage.metaCf(), storage.read(),
        MetaKeys.snapshot(partition, account, containerId, name, snapshot)));
    return v == null ? Optional.empty() : Optional.of(parseBlob(v));
  }

  @Override
  public List<BlobRecord> snapshots(int partition, String account, ByteString containerId, String name, int limit) {
    return scan(MetaKeys.snapshotsOf(partition, account, containerId, name), "", "", limit,
        RocksMetadataStore::parseBlob).items();
  }

  @Override
  public Optional<TableRecord> table(int partition, String account, String name) {
    byte[] v = storage.guarded("table read",
        db -> db.get(storage.metaCf(), storage.read(), MetaKeys.table(partition, account, name)));
    return v == null ? Optional.empty() : Optional.of(parseTable(v));
  }

  @Override
  public Page<TableRecord> tables(int partition, String account, String prefix, String marker, int limit) {
    return scan(MetaKeys.tablesOf(partition, account), prefix, marker, limit, RocksMetadataStore::parseTable);
  }

  @Override
  public Optional<EntityRecord> entity(
      int partition, String account, ByteString tableId, String partitionKey, String rowKey) {
    byte[] v = storage.guarded("entity read", db -> db.get(storage.metaCf(), storage.read(),
        MetaKeys.entity(partition, account, tableId, partitionKey, rowKey)));
    return v == null ? Optional.empty() : Optional.of(parseEntity(v));
  }

  @Override
  public Page<EntityRecord> entities(
      int partition, String account, ByteString tableId, String fromPk, String fromRk, String toPk, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    byte[] scope = MetaKeys.entitiesOf(partition, account, tableId);
    byte[] seek = MetaKeys.entity(partition, account, tableId, fromPk, fromRk);
    // Everything of PartitionKey toPk is below toPk | 0x01 (0x00 separates it from its RowKey).
    byte[] end = toPk == null ? MetaKeys.after(scope)
        : MetaKeys.concat(MetaKeys.concat(scope, MetaKeys.utf8(toPk)), new byte[] {1});
    return storage.guarded("entity scan", db -> {
      List<EntityRecord> items = new ArrayList<>();
      boolean truncated = false;
      try (RocksIterator it = db.newIterator(storage.metaCf(), storage.read())) {
        for (it.seek(seek); it.isValid(); it.next()) {
          if (!MetaKeys.startsWith(it.key(), scope) || Arrays.compareUnsigned(it.key(), end) >= 0) {
            break;
          }
          if (items.size() == limit) {
            truncated = true;
            break;
          }
          items.add(parseEntity(it.value()));
        }
        it.status();
      }
      return new Page<>(items, truncated);
    });
  }

  @Override
  public Optional<QueueRecord> queue(int partition, String account, String name) {
    byte[] v = storage.guarded("queue read",
        db -> db.get(storage.metaCf(), storage.read(), MetaKeys.queue(partition, account, name)));
    return v == null ? Optional.empty() : Optional.of(parseQueue(v));
  }

  @Override
  public Optional<ServicePropertiesRecord> serviceProperties(int partition, String account,
      StorageServiceKind service) {
    byte[] v = storage.guarded("service properties read",
        db -> db.get(storage.metaCf(), storage.read(), MetaKeys.serviceProperties(partition, account, service)));
    return v == null ? Optional.empty() : Optional.of(parseServiceProperties(v));
  }

  @Override
  public Page<QueueRecord> queues(int partition, String account, String prefix, String marker, int limit) {
    return scan(MetaKeys.queuesOf(partition, account), prefix, marker, limit, RocksMetadataStore::parseQueue);
  }

  @Override
  public Page<MessageRecord> messages(
      int partition, String account, ByteString queueId, long fromSequence, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    byte[] scope = MetaKeys.messagesOf(partition, account, queueId);
    byte[] seek = MetaKeys.message(partition, account, queueId, fromSequence);
    return storage.guarded("message scan", db -> {
      List<MessageRecord> items = new ArrayList<>();
      boolean truncated = false;
      try (RocksIterator it = db.newIterator(storage.metaCf(), storage.read())) {
        for (it.seek(seek); it.isValid(); it.next()) {
          if (!MetaKeys.startsWith(it.key(), scope)) {
            break;
          }
          if (items.size() == limit) {
            truncated = true;
            break;
          }
          items.add(parseMessage(it.value()));
        }
        it.status();
      }
      return new Page<>(items, truncated);
    });
  }

  @Override
  public Optional<MessageRecord> message(int partition, String account, ByteString queueId, long sequence) {
    byte[] v = storage.guarded("message read", db -> db.get(storage.metaCf(), storage.read(),
        MetaKeys.message(partition, account, queueId, sequence)));
    return v == null ? Optional.empty() : Optional.of(parseMessage(v));
  }

  /**
   * Record types that hold wrapped DEKs, in walk order: uncommitted blocks before blobs, so that a
   * block committed into a blob while the walk runs is seen either as a block or in the blob
   * (ADR 0013); then blob snapshots (after blobs: a snapshot taken of a blob the walk already
   * passed is still ahead of it, ADR 0022), queues and tables.
   */
  private static final byte[] DEK_WALK =
      {MetaKeys.UNCOMMITTED, MetaKeys.BLOB, MetaKeys.SNAPSHOT, MetaKeys.QUEUE, MetaKeys.TABLE};

  @Override
  public Page<DekRecord> dekRecords(int partition, ByteString after, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    byte[] prefix = MetaKeys.partition(partition);
    int type = 0;
    byte[] start = MetaKeys.concat(prefix, new byte[] {DEK_WALK[0]});
    if (!after.isEmpty()) {
      type = walkIndex(after.byteAt(0));
      if (type < 0) {
        throw new IllegalArgumentException("not a DEK walk position");
      }
      // The smallest key strictly after prefix|after is prefix|after|0x00.
      start = MetaKeys.concat(MetaKeys.concat(prefix, after.toByteArray()), new byte[] {0});
    }
    int firstType = type;
    byte[] firstStart = start;
    return storage.guarded("DEK walk", db -> {
      List<DekRecord> items = new ArrayList<>();
      try (RocksIterator it = db.newIterator(storage.metaCf(), storage.read())) {
        byte[] seek = firstStart;
        for (int t = firstType; t < DEK_WALK.length; t++) {
          byte[] range = MetaKeys.concat(prefix, new byte[] {DEK_WALK[t]});
          for (it.seek(t == firstType ? seek : range); it.isValid() && MetaKeys.startsWith(it.key(), range);
              it.next()) {
            if (items.size() == limit) {
              it.status();
              return new Page<>(items, true);
            }
            byte[] key = it.key();
            ByteString position = ByteString.copyFrom(key, prefix.length, key.length - prefix.length);
            StateChange record = switch (DEK_WALK[t]) {
              case MetaKeys.BLOB -> new StateChange.PutBlob(parseBlob(it.value()));
              case MetaKeys.SNAPSHOT -> new StateChange.PutSnapshot(parseBlob(it.value()));
              case MetaKeys.QUEUE -> new StateChange.PutQueue(parseQueue(it.value()));
              case MetaKeys.TABLE -> new StateChange.PutTable(parseTable(it.value()));
              default -> MetaKeys.parseUncommitted(key, parseBlock(it.value()));
            };
            items.add(new DekRecord(position, record));
          }
          it.status();
        }
      }
      return new Page<>(items, false);
    });
  }

  private static int walkIndex(byte type) {
    for (int i = 0; i < DEK_WALK.length; i++) {
      if (DEK_WALK[i] == type) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public Optional<SubmitRecord> submit(int partition, ByteString submitId) {
    byte[] v = storage.guarded("submit read", db -> db.get(storage.metaCf(), storage.read(),
        MetaKeys.submit(partition, submitId)));
    return v == null ? Optional.empty() : Optional.of(parseSubmit(v));
  }

  @Override
  public long newestSubmitMillis(int partition) {
    byte[] prefix = MetaKeys.submitTimes(partition);
    return storage.guarded("submit time read", db -> {
      try (RocksIterator it = db.newIterator(storage.metaCf(), storage.read())) {
        it.seekForPrev(MetaKeys.after(prefix));
        long newest = 0;
        if (it.isValid() && MetaKeys.startsWith(it.key(), prefix)) {
          newest = MetaKeys.submitMillisOf(it.key());
        }
        it.status();
        return newest;
      }
    });
  }

  @Override
  public List<StateChange.ForgetSubmit> submitsBefore(int partition, long beforeMillis, int limit) {
    byte[] prefix = MetaKeys.submitTimes(partition);
    return storage.guarded("submit time scan", db -> {
      List<StateChange.ForgetSubmit> out = new ArrayList<>();
      try (RocksIterator it = db.newIterator(storage.metaCf(), storage.read())) {
        for (it.seek(prefix); it.isValid() && out.size() < limit && MetaKeys.startsWith(it.key(), prefix);
            it.next()) {
          long millis = MetaKeys.submitMillisOf(it.key());
          if (millis >= beforeMillis) {
            break;
          }
          out.add(new StateChange.ForgetSubmit(MetaKeys.submitIdOf(it.key()), millis));
        }
        it.status();
      }
      return out;
    });
  }

  @Override
  public Optional<EntityBatchPart> batchPart(int partition, long stagedEpochMillis, ByteString batchId, int index) {
    byte[] v = storage.guarded("batch part read", db -> db.get(storage.metaCf(), storage.read(),
        MetaKeys.batchPart(partition, stagedEpochMillis, batchId, index)));
    return v == null ? Optional.empty() : Optional.of(parseBatchPart(v));
  }

  @Override
  public List<StateChange.RemoveBatchPart> batchPartsBefore(int partition, long beforeMillis, int limit) {
    byte[] prefix = MetaKeys.batchParts(partition);
    return storage.guarded("batch part scan", db -> {
      List<StateChange.RemoveBatchPart> out = new ArrayList<>();
      try (RocksIterator it = db.newIterator(storage.metaCf(), storage.read())) {
        for (it.seek(prefix); it.isValid() && out.size() < limit && MetaKeys.startsWith(it.key(), prefix);
            it.next()) {
          EntityBatchPart part = parseBatchPart(it.value());
          if (part.getStagedEpochMillis() >= beforeMillis) {
            break;
          }
          out.add(new StateChange.RemoveBatchPart(part.getStagedEpochMillis(), part.getBatchId(), part.getIndex()));
        }
        it.status();
      }
      return out;
    });
  }

  @Override
  public Optional<StagedBlobRecord> stagedBlob(int partition, String account, ByteString containerId, String name) {
    byte[] v = storage.guarded("staged blob read", db -> db.get(storage.metaCf(), storage.read(),
        MetaKeys.stagedBlob(partition, account, containerId, name)));
    return v == null ? Optional.empty() : Optional.of(parseStaged(v));
  }

  @Override
  public Page<StagedBlobRecord> stagedBlobs(int partition, String account, ByteString containerId, String prefix,
      String marker, int limit) {
    return scan(MetaKeys.stagedBlobsOf(partition, account, containerId), prefix, marker, limit,
        RocksMetadataStore::parseStaged);
  }

  @Override
  public List<StagedTime> stagedTimesBefore(int partition, long beforeMillis, int limit) {
    byte[] prefix = MetaKeys.stagedTimes(partition);
    return storage.guarded("staged time scan", db -> {
      List<StagedTime> out = new ArrayList<>();
      try (RocksIterator it = db.newIterator(storage.metaCf(), storage.read())) {
        for (it.seek(prefix); it.isValid() && out.size() < limit && MetaKeys.startsWith(it.key(), prefix);
            it.next()) {
          StagedTime t = MetaKeys.parseStagedTime(it.key());
          if (t.millis() >= beforeMillis) {
            break;
          }
          byte[] v = db.get(storage.metaCf(), storage.read(),
              MetaKeys.stagedBlob(partition, t.account(), t.containerId(), t.name()));
          boolean current = v != null && parseStaged(v).getLastStagedEpochMillis() == t.millis();
          out.add(new StagedTime(t.millis(), t.account(), t.containerId(), t.name(), current));
        }
        it.status();
      }
      return out;
    });
  }

  @Override
  public void commit(int partition, long index, StateChange change) {
    storage.guarded("metadata commit", db -> {
      try (WriteBatch batch = new WriteBatch()) {
        stage(batch, partition, change);
        batch.put(storage.metaCf(), MetaKeys.appliedIndex(partition),
            ByteBuffer.allocate(Long.BYTES).putLong(index).array());
        db.write(commitOptions, batch);
      }
      return null;
    });
  }

  @Override
  public List<StateChange> records(int partition) {
    byte[] prefix = MetaKeys.partition(partition);
    return storage.guarded("partition export", db -> {
      List<StateChange> out = new ArrayList<>();
      try (Snapshot snapshot = db.getSnapshot(); ReadOptions at = new ReadOptions().setSnapshot(snapshot);
          RocksIterator it = db.newIterator(storage.metaCf(), at)) {
        try {
          for (it.seek(prefix); it.isValid() && MetaKeys.startsWith(it.key(), prefix); it.next()) {
            byte[] key = it.key();
            switch (key[prefix.length]) {
              case MetaKeys.CONTAINER -> out.add(new StateChange.PutContainer(parseContainer(it.value())));
              case MetaKeys.BLOB -> out.add(new StateChange.PutBlob(parseBlob(it.value())));
              case MetaKeys.SNAPSHOT -> out.add(new StateChange.PutSnapshot(parseBlob(it.value())));
              case MetaKeys.UNCOMMITTED -> out.add(MetaKeys.parseUncommitted(key, parseBlock(it.value())));
              case MetaKeys.TABLE -> out.add(new StateChange.PutTable(parseTable(it.value())));
              case MetaKeys.ENTITY -> out.add(new StateChange.PutEntity(parseEntity(it.value())));
              case MetaKeys.QUEUE -> out.add(new StateChange.PutQueue(parseQueue(it.value())));
              case MetaKeys.MESSAGE -> out.add(
                  new StateChange.ChangeMessages(List.of(parseMessage(it.value())), List.of()));
              case MetaKeys.SERVICE_PROPERTIES -> out.add(
                  new StateChange.PutServiceProperties(parseServiceProperties(it.value())));
              case MetaKeys.BATCH_PART -> out.add(new StateChange.PutBatchPart(parseBatchPart(it.value())));
              case MetaKeys.SUBMIT -> out.add(new StateChange.RememberSubmit(parseSubmit(it.value())));
              case MetaKeys.STAGED -> {
                if (key.length > prefix.length + 1 && key[prefix.length + 1] == MetaKeys.STAGED_NAME) {
                  out.add(new StateChange.PutStagedBlob(parseStaged(it.value())));
                } // the time index is rebuilt from the records
              }
              case MetaKeys.SUBMIT_TIME, MetaKeys.APPLIED_INDEX -> { }
              default -> throw new StorageException("unknown record type " + key[prefix.length] + " in partition "
                  + partition);
            }
          }
          it.status();
        } finally {
          db.releaseSnapshot(snapshot);
        }
      }
      // Key order puts blobs ('B') before their uncommitted blocks ('U'), as an image needs.
      return out;
    });
  }

  @Override
  public void replacePartition(int partition, long index, List<StateChange> records) {
    byte[] prefix = MetaKeys.partition(partition);
    storage.guarded("partition import", db -> {
      try (WriteBatch batch = new WriteBatch()) {
        batch.deleteRange(storage.metaCf(), prefix, MetaKeys.after(prefix));
        for (StateChange r : records) {
          if (!(r instanceof StateChange.PutContainer || r instanceof StateChange.PutBlob
              || r instanceof StateChange.PutSnapshot || r instanceof StateChange.StageBlock || r instanceof StateChange.PutTable
              || r instanceof StateChange.PutEntity || r instanceof StateChange.PutQueue
              || r instanceof StateChange.PutServiceProperties || r instanceof StateChange.RememberSubmit
              || r instanceof StateChange.PutBatchPart || r instanceof StateChange.PutStagedBlob
              || (r instanceof StateChange.ChangeMessages c && c.removed().isEmpty()))) {
            throw new IllegalArgumentException("not a partition record: " + r.getClass().getSimpleName());
          }
          stage(batch, partition, r);
        }
        batch.put(storage.metaCf(), MetaKeys.appliedIndex(partition),
            ByteBuffer.allocate(Long.BYTES).putLong(index).array());
        db.write(storage.syncWrite(), batch);
      }
      return null;
    });
  }

  /**
   * Walks the {@code 'B'} (blob), {@code 'N'} (blob snapshot) and then the {@code 'U'} (staged
   * block) records of the partition; the cursor is the last key read. Records of other types
   * between them are skipped by one seek each.
   */
  @Override
  public ChunkRefPage chunkRefs(int partition, byte[] cursor, int maxRecords) {
    if (maxRecords <= 0) {
      throw new IllegalArgumentException("maxRecords must be positive");
    }
    byte[] prefix = MetaKeys.partition(partition);
    byte[] blobs = MetaKeys.concat(prefix, new byte[] {MetaKeys.BLOB});
    byte[] snapshots = MetaKeys.concat(prefix, new byte[] {MetaKeys.SNAPSHOT});
    byte[] staged = MetaKeys.concat(prefix, new byte[] {MetaKeys.UNCOMMITTED});
    if (cursor.length > 0 && !MetaKeys.startsWith(cursor, prefix)) {
      throw new IllegalArgumentException("cursor is not a key of partition " + partition);
    }
    byte[] start = cursor.length == 0 ? blobs : MetaKeys.concat(cursor, new byte[] {0});
    return storage.guarded("chunk reference scan", db -> {
      List<ChunkRef> refs = new ArrayList<>();
      byte[] last = new byte[0];
      int read = 0;
      boolean more = false;
      try (Snapshot snapshot = db.getSnapshot(); ReadOptions at = new ReadOptions().setSnapshot(snapshot);
          RocksIterator it = db.newIterator(storage.metaCf(), at)) {
        try {
          it.seek(start);
          while (it.isValid() && MetaKeys.startsWith(it.key(), prefix)) {
            byte[] key = it.key();
            byte type = key[prefix.length];
            if (type == MetaKeys.BLOB || type == MetaKeys.SNAPSHOT || type == MetaKeys.UNCOMMITTED) {
              if (read == maxRecords) {
                more = true;
                break;
              }
              if (type == MetaKeys.BLOB || type == MetaKeys.SNAPSHOT) {
                parseBlob(it.value()).getStreamsList().forEach(st -> refs.addAll(st.getChunksList()));
              } else {
                refs.addAll(parseBlock(it.value()).getStream().getChunksList());
              }
              read++;
              last = key;
              it.next();
            } else if (Byte.compareUnsigned(type, MetaKeys.SNAPSHOT) < 0) {
              it.seek(snapshots); // containers, applied index, messages: not manifests
            } else if (Byte.compareUnsigned(type, MetaKeys.UNCOMMITTED) < 0) {
              it.seek(staged); // queues, service properties, tables: not manifests
            } else {
              break; // entities, or the end of the partition
            }
          }
          it.status();
        } finally {
          db.releaseSnapshot(snapshot);
        }
      }
      return new ChunkRefPage(refs, more ? last : new byte[0]);
    });
  }

  @Override
  public void sync() {
    storage.guarded("WAL sync", db -> {
      db.flushWal(true);
      return null;
    });
  }

  /** Adds the writes of one state change to {@code batch}. */
  private void stage(WriteBatch batch, int partition, StateChange change) throws org.rocksdb.RocksDBException {
    if (change instanceof StateChange.Batch all) {
      for (StateChange c : all.changes()) {
        stage(batch, partition, c);
      }
      return;
    }
    {
      {
        if (change instanceof StateChange.Entities entities) {
          for (StateChange c : entities.changes()) {
            stage(batch, partition, c);
          }
          return;
        }
        if (change instanceof StateChange.PutBlob b) {
          dropUncommitted(batch, partition, b.blob().getAccount(), b.blob().getContainerId(), b.blob().getName());
          batch.delete(storage.metaCf(), MetaKeys.stagedBlob(partition, b.blob().getAccount(),
              b.blob().getContainerId(), b.blob().getName()));
        } else if (change instanceof StateChange.RemoveBlob b) {
          dropUncommitted(batch, partition, b.account(), b.containerId(), b.name());
          batch.delete(storage.metaCf(), MetaKeys.stagedBlob(partition, b.account(), b.containerId(), b.name()));
        }
        if (change instanceof StateChange.PutContainer c) {
          batch.put(storage.metaCf(),
              MetaKeys.container(partition, c.container().getAccount(), c.container().getName()),
              c.container().toByteArray());
        } else if (change instanceof StateChange.RemoveContainer c) {
          batch.delete(storage.metaCf(), MetaKeys.container(partition, c.account(), c.name()));
        } else if (change instanceof StateChange.PutBlob b) {
          batch.put(storage.metaCf(),
              MetaKeys.blob(partition, b.blob().getAccount(), b.blob().getContainerId(), b.blob().getName()),
              b.blob().toByteArray());
        } else if (change instanceof StateChange.UpdateBlob b) {
          batch.put(storage.metaCf(),
              MetaKeys.blob(partition, b.blob().getAccount(), b.blob().getContainerId(), b.blob().getName()),
              b.blob().toByteArray());
        } else if (change instanceof StateChange.RemoveBlob b) {
          batch.delete(storage.metaCf(), MetaKeys.blob(partition, b.account(), b.containerId(), b.name()));
        } else if (change instanceof StateChange.PutSnapshot sn) {
          BlobRecord r = sn.snapshot();
          batch.put(storage.metaCf(),
              MetaKeys.snapshot(partition, r.getAccount(), r.getContainerId(), r.getName(), r.getSnapshot()),
              r.toByteArray());
        } else if (change instanceof StateChange.RemoveSnapshot sn) {
          batch.delete(storage.metaCf(),
              MetaKeys.snapshot(partition, sn.account(), sn.containerId(), sn.name(), sn.snapshot()));
        } else if (change instanceof StateChange.RemoveSnapshots sn) {
          byte[] from = MetaKeys.snapshotsOf(partition, sn.account(), sn.containerId(), sn.name());
          batch.deleteRange(storage.metaCf(), from, MetaKeys.after(from));
        } else if (change instanceof StateChange.StageBlock s) {
          batch.put(storage.metaCf(),
              MetaKeys.uncommitted(partition, s.account(), s.containerId(), s.name(), s.block().getBlockId()),
              s.block().toByteArray());
        } else if (change instanceof StateChange.PutTable t) {
          batch.put(storage.metaCf(), MetaKeys.table(partition, t.table().getAccount(), t.table().getName()),
              t.table().toByteArray());
        } else if (change instanceof StateChange.RemoveTable t) {
          batch.delete(storage.metaCf(), MetaKeys.table(partition, t.account(), t.name()));
          deletePrefix(batch, MetaKeys.entitiesOf(partition, t.account(), t.tableId()));
        } else if (change instanceof StateChange.RemoveEntities e) {
          deletePrefix(batch, MetaKeys.entitiesOf(partition, e.account(), e.tableId()));
        } else if (change instanceof StateChange.PutEntity e) {
          EntityRecord r = e.entity();
          batch.put(storage.metaCf(),
              MetaKeys.entity(partition, r.getAccount(), r.getTableId(), r.getPartitionKey(), r.getRowKey()),
              r.toByteArray());
        } else if (change instanceof StateChange.RemoveEntity e) {
          batch.delete(storage.metaCf(),
              MetaKeys.entity(partition, e.account(), e.tableId(), e.partitionKey(), e.rowKey()));
        } else if (change instanceof StateChange.PutQueue q) {
          batch.put(storage.metaCf(), MetaKeys.queue(partition, q.queue().getAccount(), q.queue().getName()),
              q.queue().toByteArray());
        } else if (change instanceof StateChange.PutServiceProperties sp) {
          batch.put(storage.metaCf(), MetaKeys.serviceProperties(partition, sp.properties().getAccount(),
              sp.properties().getService()),
              sp.properties().toByteArray());
        } else if (change instanceof StateChange.RemoveQueue q) {
          batch.delete(storage.metaCf(), MetaKeys.queue(partition, q.account(), q.name()));
          deletePrefix(batch, MetaKeys.messagesOf(partition, q.account(), q.queueId()));
        } else if (change instanceof StateChange.ChangeMessages c) {
          for (MessageRecord r : c.removed()) {
            batch.delete(storage.metaCf(),
                MetaKeys.message(partition, r.getAccount(), r.getQueueId(), r.getSequence()));
          }
          for (MessageRecord r : c.put()) {
            batch.put(storage.metaCf(),
                MetaKeys.message(partition, r.getAccount(), r.getQueueId(), r.getSequence()), r.toByteArray());
          }
        } else if (change instanceof StateChange.RememberSubmit rs) {
          SubmitRecord r = rs.record();
          batch.put(storage.metaCf(), MetaKeys.submit(partition, r.getSubmitId()), r.toByteArray());
          batch.put(storage.metaCf(), MetaKeys.submitTime(partition, r.getSubmitEpochMillis(), r.getSubmitId()),
              new byte[0]);
        } else if (change instanceof StateChange.PutBatchPart bp) {
          EntityBatchPart part = bp.part();
          batch.put(storage.metaCf(), MetaKeys.batchPart(partition, part.getStagedEpochMillis(), part.getBatchId(),
              part.getIndex()), part.toByteArray());
        } else if (change instanceof StateChange.RemoveBatchPart rb) {
          batch.delete(storage.metaCf(), MetaKeys.batchPart(partition, rb.stagedEpochMillis(), rb.batchId(), rb.index()));
        } else if (change instanceof StateChange.PutStagedBlob ps) {
          StagedBlobRecord r = ps.record();
          batch.put(storage.metaCf(), MetaKeys.stagedBlob(partition, r.getAccount(), r.getContainerId(), r.getName()),
              r.toByteArray());
          batch.put(storage.metaCf(), MetaKeys.stagedTime(partition, r.getLastStagedEpochMillis(), r.getAccount(),
              r.getContainerId(), r.getName()), new byte[0]);
        } else if (change instanceof StateChange.RemoveStagedBlob rsb) {
          batch.delete(storage.metaCf(), MetaKeys.stagedBlob(partition, rsb.account(), rsb.containerId(), rsb.name()));
        } else if (change instanceof StateChange.ForgetStagedBlobTime f) {
          batch.delete(storage.metaCf(), MetaKeys.stagedTime(partition, f.millis(), f.account(), f.containerId(),
              f.name()));
        } else if (change instanceof StateChange.DropUncommittedBlocks d) {
          dropUncommitted(batch, partition, d.account(), d.containerId(), d.name());
        } else if (change instanceof StateChange.ForgetSubmit f) {
          batch.delete(storage.metaCf(), MetaKeys.submit(partition, f.submitId()));
          batch.delete(storage.metaCf(), MetaKeys.submitTime(partition, f.submitEpochMillis(), f.submitId()));
        } else if (!(change instanceof StateChange.None)) {
          throw new IllegalArgumentException("unknown state change " + change.getClass());
        }
      }
    }
  }

  /** One range tombstone for every key that starts with {@code prefix} (no read needed). */
  private void deletePrefix(WriteBatch batch, byte[] prefix) throws org.rocksdb.RocksDBException {
    batch.deleteRange(storage.metaCf(), prefix, MetaKeys.after(prefix));
  }

  /** One range tombstone for all of a blob's uncommitted blocks (no read needed). */
  private void dropUncommitted(WriteBatch batch, int partition, String account, ByteString containerId, String name)
      throws org.rocksdb.RocksDBException {
    byte[] from = MetaKeys.uncommittedOf(partition, account, containerId, name);
    batch.deleteRange(storage.metaCf(), from, MetaKeys.after(from));
  }

  @FunctionalInterface
  private interface Parser<T> {
    T parse(byte[] value);
  }

  /**
   * Names under {@code base} that start with {@code prefix} and are strictly greater than
   * {@code marker}, in byte order. The smallest key greater than {@code base|marker} is
   * {@code base|marker|0x00}, so the scan seeks to the larger of that and {@code base|prefix}.
   */
  private <T> Page<T> scan(byte[] base, String prefix, String marker, int limit, Parser<T> parser) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    byte[] scope = MetaKeys.concat(base, MetaKeys.utf8(prefix));
    byte[] start = scope;
    if (!marker.isEmpty()) {
      byte[] afterMarker = MetaKeys.concat(MetaKeys.concat(base, MetaKeys.utf8(marker)), new byte[] {0});
      if (Arrays.compareUnsigned(afterMarker, scope) > 0) {
        start = afterMarker;
      }
    }
    byte[] seek = start;
    return storage.guarded("metadata scan", db -> {
      List<T> items = new ArrayList<>();
      boolean truncated = false;
      try (RocksIterator it = db.newIterator(storage.metaCf(), storage.read())) {
        for (it.seek(seek); it.isValid(); it.next()) {
          if (!MetaKeys.startsWith(it.key(), scope)) {
            break;
          }
          if (items.size() == limit) {
            truncated = true;
            break;
          }
          items.add(parser.parse(it.value()));
        }
        it.status();
      }
      return new Page<>(items, truncated);
    });
  }

  private static ContainerRecord parseContainer(byte[] v) {
    try {
      return ContainerRecord.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt container record", e);
    }
  }

  private static TableRecord parseTable(byte[] v) {
    try {
      return TableRecord.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt table record", e);
    }
  }

  private static EntityRecord parseEntity(byte[] v) {
    try {
      return EntityRecord.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt entity record", e);
    }
  }

  private static QueueRecord parseQueue(byte[] v) {
    try {
      return QueueRecord.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt queue record", e);
    }
  }

  private static ServicePropertiesRecord parseServiceProperties(byte[] v) {
    try {
      return ServicePropertiesRecord.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt service properties record", e);
    }
  }

  private static MessageRecord parseMessage(byte[] v) {
    try {
      return MessageRecord.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt message record", e);
    }
  }

  private static UncommittedBlock parseBlock(byte[] v) {
    try {
      return UncommittedBlock.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt uncommitted block record", e);
    }
  }

  private static EntityBatchPart parseBatchPart(byte[] v) {
    try {
      return EntityBatchPart.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt batch part", e);
    }
  }

  private static SubmitRecord parseSubmit(byte[] v) {
    try {
      return SubmitRecord.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt submit record", e);
    }
  }

  private static StagedBlobRecord parseStaged(byte[] v) {
    try {
      return StagedBlobRecord.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt staged blob record", e);
    }
  }

  private static BlobRecord parseBlob(byte[] v) {
    try {
      return BlobRecord.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageException("corrupt blob record", e);
    }
  }
}
