package io.cobalt.node.storage;

import com.google.protobuf.ByteString;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.StagedBlobRecord;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A volatile {@link MetadataStore} with the same ordering and commit semantics as the RocksDB one
 * (names in UTF-8 byte order, i.e. code point order; block ids in unsigned byte order). For tests
 * and test fixtures that need the real state machine without a disk (the gateway's fakes).
 */
public final class InMemoryMetadataStore implements MetadataStore {
  /** UTF-8 byte order equals code point order (String.compareTo is UTF-16 order, which differs). */
  private static final Comparator<String> UTF8_ORDER = (a, b) -> {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  };

  private record BlobKey(String account, ByteString containerId, String name) {}

  private record ContainerScope(String account, ByteString containerId) {}

  private record EntityKey(String partitionKey, String rowKey) {}

  private static final Comparator<EntityKey> ENTITY_ORDER =
      Comparator.comparing(EntityKey::partitionKey, UTF8_ORDER).thenComparing(EntityKey::rowKey, UTF8_ORDER);

  private static final class Partition {
    long appliedIndex;
    final Map<String, NavigableMap<String, ContainerRecord>> containers = new HashMap<>();
    final Map<ContainerScope, NavigableMap<String, BlobRecord>> blobs = new HashMap<>();
    final Map<BlobKey, NavigableMap<ByteString, UncommittedBlock>> uncommitted = new HashMap<>();
    /** Snapshot times are ASCII of one fixed width: String order is byte order is time order. */
    final Map<BlobKey, NavigableMap<String, BlobRecord>> snapshots = new HashMap<>();
    final Map<String, NavigableMap<String, TableRecord>> tables = new HashMap<>();
    final Map<ContainerScope, NavigableMap<EntityKey, EntityRecord>> entities = new HashMap<>();
    final Map<String, NavigableMap<String, QueueRecord>> queues = new HashMap<>();
    /** Sequences compare unsigned, as the RocksDB key's big-endian bytes do. */
    final Map<ContainerScope, NavigableMap<Long, MessageRecord>> messages = new HashMap<>();
    final Map<String, ServicePropertiesRecord> serviceProperties = new TreeMap<>(UTF8_ORDER);
    /** Remembered submits by id, and their time index (time, then id in unsigned byte order). */
    final Map<ByteString, SubmitRecord> submits = new HashMap<>();
    final NavigableMap<SubmitKey, Boolean> submitTimes = new TreeMap<>();
    /** Staged batch parts in time, batch id, index order. */
    final NavigableMap<PartKey, EntityBatchPart> batchParts = new TreeMap<>();
    /** Staged-blob records by name (ADR 0026), and their time index. */
    final Map<ContainerScope, NavigableMap<String, StagedBlobRecord>> staged = new HashMap<>();
    final NavigableMap<StagedKey, Boolean> stagedTimes = new TreeMap<>();
  }

  /** The RocksDB key's order: time, account (length, then bytes), container id, name. */
  private record StagedKey(long millis, String account, ByteString containerId, String name)
      implements Comparable<StagedKey> {
    @Override
    public int compareTo(StagedKey o) {
      int c = Long.compare(millis, o.millis);
      if (c == 0) {
        c = Integer.compare(account.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
            o.account.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
      }
      if (c == 0) {
        c = UTF8_ORDER.compare(account, o.account);
      }
      if (c == 0) {
        c = ByteString.unsignedLexicographicalComparator().compare(containerId, o.containerId);
      }
      return c != 0 ? c : UTF8_ORDER.compare(name, o.name);
    }
  }

  private record PartKey(long millis, ByteString batchId, int index) implements Comparable<PartKey> {
    @Override
    public int compareTo(PartKey o) {
      int c = Long.compare(millis, o.millis);
      if (c == 0) {
        c = ByteString.unsignedLexicographicalComparator().compare(batchId, o.batchId);
      }
      return c != 0 ? c : Integer.compareUnsigned(index, o.index);
    }
  }

  private record SubmitKey(long millis, ByteString id) implements Comparable<SubmitKey> {
    @Override
    public int compareTo(SubmitKey o) {
      int c = Long.compare(millis, o.millis);
      return c != 0 ? c : ByteString.unsignedLexicographicalComparator().compare(id, o.id);
    }
  }

  private final Map<Integer, Partition> partitions = new HashMap<>();

  private Partition p(int partition) {
    return partitions.computeIfAbsent(partition, x -> new Partition());
  }

  @Override
  public synchronized long appliedIndex(int partition) {
    return p(partition).appliedIndex;
  }

  @Override
  public synchronized Optional<ContainerRecord> container(int partition, String account, String name) {
    return Optional.ofNullable(p(partition).containers.getOrDefault(account, new TreeMap<>()).get(name));
  }

  @Override
  public synchronized Optional<BlobRecord> blob(int partition, String account, ByteString containerId, String name) {
    NavigableMap<String, BlobRecord> m = p(partition).blobs.get(new ContainerScope(account, containerId));
    return Optional.ofNullable(m == null ? null : m.get(name));
  }

  @Override
  public synchronized Page<ContainerRecord> containers(
      int partition, String account, String prefix, String marker, int limit) {
    return page(p(partition).containers.get(account), prefix, marker, limit);
  }

  @Override
  public synchronized Page<BlobRecord> blobs(
      int partition, String account, ByteString containerId, String prefix, String marker, int limit) {
    return page(p(partition).blobs.get(new ContainerScope(account, containerId)), prefix, marker, limit);
  }

  @Override
  public synchronized List<UncommittedBlock> uncommittedBlocks(
      int partition, String account, ByteString containerId, String name, int limit) {
    NavigableMap<ByteString, UncommittedBlock> m =
        p(partition).uncommitted.get(new BlobKey(account, containerId, name));
    if (m == null) {
      return List.of();
    }
    return m.values().stream().limit(limit).toList();
  }

  @Override
  public synchronized Optional<UncommittedBlock> uncommittedBlock(
      int partition, String account, ByteString containerId, String name, ByteString blockId) {
    NavigableMap<ByteString, UncommittedBlock> m =
        p(partition).uncommitted.get(new BlobKey(account, containerId, name));
    return Optional.ofNullable(m == null ? null : m.get(blockId));
  }

  @Override
  public synchronized Optional<BlobRecord> snapshot(
      int partition, String account, ByteString containerId, String name, String snapshot) {
    NavigableMap<String, BlobRecord> m = p(partition).snapshots.get(new BlobKey(account, containerId, name));
    return Optional.ofNullable(m == null ? null : m.get(snapshot));
  }

  @Override
  public synchronized List<BlobRecord> snapshots(
      int partition, String account, ByteString containerId, String name, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    NavigableMap<String, BlobRecord> m = p(partition).snapshots.get(new BlobKey(account, containerId, name));
    return m == null ? List.of() : m.values().stream().limit(limit).toList();
  }

  @Override
  public synchronized Optional<TableRecord> table(int partition, String account, String name) {
    NavigableMap<String, TableRecord> m = p(partition).tables.get(account);
    return Optional.ofNullable(m == null ? null : m.get(name.toLowerCase(Locale.ROOT)));
  }

  @Override
  public synchronized Page<TableRecord> tables(int partition, String account, String prefix, String marker, int limit) {
    return page(p(partition).tables.get(account), prefix, marker, limit);
  }

  @Override
  public synchronized Optional<EntityRecord> entity(
      int partition, String account, ByteString tableId, String partitionKey, String rowKey) {
    NavigableMap<EntityKey, EntityRecord> m = p(partition).entities.get(new ContainerScope(account, tableId));
    return Optional.ofNullable(m == null ? null : m.get(new EntityKey(partitionKey, rowKey)));
  }

  @Override
  public synchronized Page<EntityRecord> entities(
      int partition, String account, ByteString tableId, String fromPk, String fromRk, String toPk, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    NavigableMap<EntityKey, EntityRecord> m = p(partition).entities.get(new ContainerScope(account, tableId));
    List<EntityRecord> items = new ArrayList<>();
    if (m == null) {
      return new Page<>(items, false);
    }
    for (EntityRecord e : m.tailMap(new EntityKey(fromPk, fromRk), true).values()) {
      if (toPk != null && UTF8_ORDER.compare(e.getPartitionKey(), toPk) > 0) {
        break;
      }
      if (items.size() == limit) {
        return new Page<>(items, true);
      }
      items.add(e);
    }
    return new Page<>(items, false);
  }

  @Override
  public synchronized Optional<QueueRecord> queue(int partition, String account, String name) {
    NavigableMap<String, QueueRecord> m = p(partition).queues.get(account);
    return Optional.ofNullable(m == null ? null : m.get(name));
  }

  @Override
  public synchronized Optional<ServicePropertiesRecord> serviceProperties(int partition, String account,
      StorageServiceKind service) {
    return Optional.ofNullable(p(partition).serviceProperties.get(servicePropertiesKey(account, service)));
  }

  @Override
  public synchronized Page<QueueRecord> queues(int partition, String account, String prefix, String marker, int limit) {
    return page(p(partition).queues.get(account), prefix, marker, limit);
  }

  @Override
  public synchronized Page<MessageRecord> messages(
      int partition, String account, ByteString queueId, long fromSequence, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    NavigableMap<Long, MessageRecord> m = p(partition).messages.get(new ContainerScope(account, queueId));
    List<MessageRecord> items = new ArrayList<>();
    if (m == null) {
      return new Page<>(items, false);
    }
    for (MessageRecord r : m.tailMap(fromSequence, true).values()) {
      if (items.size() == limit) {
        return new Page<>(items, true);
      }
      items.add(r);
    }
    return new Page<>(items, false);
  }

  @Override
  public synchronized Optional<MessageRecord> message(int partition, String account, ByteString queueId, long sequence) {
    NavigableMap<Long, MessageRecord> m = p(partition).messages.get(new ContainerScope(account, queueId));
    return Optional.ofNullable(m == null ? null : m.get(sequence));
  }

  /**
   * Walk order: by a position that encodes (type, account, scope id, name, block id) injectively,
   * compared as unsigned bytes; types in the RocksDB store's order (uncommitted blocks, blobs,
   * blob snapshots, queues, tables). Not the RocksDB store's positions (those are its keys), but the
   * same contract: a total order on record identities, stable while a record exists.
   */
  @Override
  public synchronized Page<DekRecord> dekRecords(int partition, ByteString after, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    Partition p = p(partition);
    NavigableMap<ByteString, StateChange> all = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
    p.blobs.values().forEach(m -> m.values().forEach(b -> all.put(
        position(1, b.getAccount(), b.getContainerId(), b.getName(), ByteString.EMPTY), new StateChange.PutBlob(b))));
    p.queues.values().forEach(m -> m.values().forEach(q -> all.put(
        position(3, q.getAccount(), ByteString.EMPTY, q.getName(), ByteString.EMPTY), new StateChange.PutQueue(q))));
    p.snapshots.forEach((k, m) -> m.values().forEach(sn -> all.put(
        position(2, k.account(), k.containerId(), k.name(), ByteString.copyFromUtf8(sn.getSnapshot())),
        new StateChange.PutSnapshot(sn))));
    p.tables.values().forEach(m -> m.values().forEach(t -> all.put(
        position(4, t.getAccount(), ByteString.EMPTY, t.getName().toLowerCase(Locale.ROOT), ByteString.EMPTY),
        new StateChange.PutTable(t))));
    p.uncommitted.forEach((k, m) -> m.values().forEach(u -> all.put(
        position(0, k.account(), k.containerId(), k.name(), u.getBlockId()),
        new StateChange.StageBlock(k.account(), k.containerId(), k.name(), u))));
    List<DekRecord> items = new ArrayList<>();
    for (Map.Entry<ByteString, StateChange> e : (after.isEmpty() ? all : all.tailMap(after, false)).entrySet()) {
      if (items.size() == limit) {
        return new Page<>(items, true);
      }
      items.add(new DekRecord(e.getKey(), e.getValue()));
    }
    return new Page<>(items, false);
  }

  private static ByteString position(int type, String account, ByteString scope, String name, ByteString blockId) {
    byte[] a = account.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1 + 4 + a.length + 4 + scope.size() + 4 + n.length + blockId.size());
    b.put((byte) type).putInt(a.length).put(a).putInt(scope.size()).put(scope.toByteArray()).putInt(n.length).put(n)
        .put(blockId.toByteArray());
    return ByteString.copyFrom(b.array());
  }

  @Override
  public synchronized Optional<SubmitRecord> submit(int partition, ByteString submitId) {
    return Optional.ofNullable(p(partition).submits.get(submitId));
  }

  @Override
  public synchronized long newestSubmitMillis(int partition) {
    NavigableMap<SubmitKey, Boolean> times = p(partition).submitTimes;
    return times.isEmpty() ? 0 : times.lastKey().millis();
  }

  @Override
  public synchronized List<StateChange.ForgetSubmit> submitsBefore(int partition, long beforeMillis, int limit) {
    List<StateChange.ForgetSubmit> out = new ArrayList<>();
    for (SubmitKey k : p(partition).submitTimes.keySet()) {
      if (out.size() >= limit || k.millis() >= beforeMillis) {
        break;
      }
      out.add(new StateChange.ForgetSubmit(k.id(), k.millis()));
    }
    return out;
  }

  @Override
  public synchronized Optional<EntityBatchPart> batchPart(int partition, long stagedEpochMillis, ByteString batchId,
      int index) {
    return Optional.ofNullable(p(partition).batchParts.get(new PartKey(stagedEpochMillis, batchId, index)));
  }

  @Override
  public synchronized List<StateChange.RemoveBatchPart> batchPartsBefore(int partition, long beforeMillis, int limit) {
    List<StateChange.RemoveBatchPart> out = new ArrayList<>();
    for (PartKey k : p(partition).batchParts.keySet()) {
      if (out.size() >= limit || k.millis() >= beforeMillis) {
        break;
      }
      out.add(new StateChange.RemoveBatchPart(k.millis(), k.batchId(), k.index()));
    }
    return out;
  }

  @Override
  public synchronized Optional<StagedBlobRecord> stagedBlob(int partition, String account, ByteString containerId,
      String name) {
    NavigableMap<String, StagedBlobRecord> m = p(partition).staged.get(new ContainerScope(account, containerId));
    return Optional.ofNullable(m == null ? null : m.get(name));
  }

  @Override
  public synchronized Page<StagedBlobRecord> stagedBlobs(int partition, String account, ByteString containerId,
      String prefix, String marker, int limit) {
    return page(p(partition).staged.get(new ContainerScope(account, containerId)), prefix, marker, limit);
  }

  @Override
  public synchronized List<StagedTime> stagedTimesBefore(int partition, long beforeMillis, int limit) {
    List<StagedTime> out = new ArrayList<>();
    for (StagedKey k : p(partition).stagedTimes.keySet()) {
      if (out.size() >= limit || k.millis() >= beforeMillis) {
        break;
      }
      Optional<StagedBlobRecord> r = stagedBlob(partition, k.account(), k.containerId(), k.name());
      out.add(new StagedTime(k.millis(), k.account(), k.containerId(), k.name(),
          r.isPresent() && r.get().getLastStagedEpochMillis() == k.millis()));
    }
    return out;
  }

  private static void removeStaged(Partition p, String account, ByteString containerId, String name) {
    NavigableMap<String, StagedBlobRecord> m = p.staged.get(new ContainerScope(account, containerId));
    if (m != null) {
      m.remove(name);
    }
  }

  @Override
  public synchronized void commit(int partition, long index, StateChange change) {
    Partition p = p(partition);
    apply(p, change);
    p.appliedIndex = index;
  }

  private void apply(Partition p, StateChange change) {
    if (change instanceof StateChange.Entities batch) {
      batch.changes().forEach(c -> apply(p, c));
    } else if (change instanceof StateChange.Batch all) {
      all.changes().forEach(c -> apply(p, c));
    } else if (change instanceof StateChange.PutContainer c) {
      p.containers
          .computeIfAbsent(c.container().getAccount(), a -> new TreeMap<>(UTF8_ORDER))
          .put(c.container().getName(), c.container());
    } else if (change instanceof StateChange.RemoveContainer c) {
      NavigableMap<String, ContainerRecord> m = p.containers.get(c.account());
      if (m != null) {
        m.remove(c.name());
      }
    } else if (change instanceof StateChange.PutBlob b) {
      putBlob(p, b.blob());
      p.uncommitted.remove(new BlobKey(b.blob().getAccount(), b.blob().getContainerId(), b.blob().getName()));
      removeStaged(p, b.blob().getAccount(), b.blob().getContainerId(), b.blob().getName());
    } else if (change instanceof StateChange.UpdateBlob b) {
      putBlob(p, b.blob());
    } else if (change instanceof StateChange.RemoveBlob b) {
      NavigableMap<String, BlobRecord> m = p.blobs.get(new ContainerScope(b.account(), b.containerId()));
      if (m != null) {
        m.remove(b.name());
      }
      p.uncommitted.remove(new BlobKey(b.account(), b.containerId(), b.name()));
      removeStaged(p, b.account(), b.containerId(), b.name());
    } else if (change instanceof StateChange.PutStagedBlob ps) {
      StagedBlobRecord r = ps.record();
      p.staged.computeIfAbsent(new ContainerScope(r.getAccount(), r.getContainerId()), k -> new TreeMap<>(UTF8_ORDER))
          .put(r.getName(), r);
      p.stagedTimes.put(new StagedKey(r.getLastStagedEpochMillis(), r.getAccount(), r.getContainerId(), r.getName()),
          Boolean.TRUE);
    } else if (change instanceof StateChange.RemoveStagedBlob rsb) {
      removeStaged(p, rsb.account(), rsb.containerId(), rsb.name());
    } else if (change instanceof StateChange.ForgetStagedBlobTime f) {
      p.stagedTimes.remove(new StagedKey(f.millis(), f.account(), f.containerId(), f.name()));
    } else if (change instanceof StateChange.DropUncommittedBlocks d) {
      p.uncommitted.remove(new BlobKey(d.account(), d.containerId(), d.name()));
    } else if (change instanceof StateChange.PutSnapshot sn) {
      BlobRecord r = sn.snapshot();
      p.snapshots.computeIfAbsent(new BlobKey(r.getAccount(), r.getContainerId(), r.getName()), k -> new TreeMap<>())
          .put(r.getSnapshot(), r);
    } else if (change instanceof StateChange.RemoveSnapshot sn) {
      BlobKey k = new BlobKey(sn.account(), sn.containerId(), sn.name());
      NavigableMap<String, BlobRecord> m = p.snapshots.get(k);
      if (m != null) {
        m.remove(sn.snapshot());
        if (m.isEmpty()) {
          p.snapshots.remove(k);
        }
      }
    } else if (change instanceof StateChange.RemoveSnapshots sn) {
      p.snapshots.remove(new BlobKey(sn.account(), sn.containerId(), sn.name()));
    } else if (change instanceof StateChange.StageBlock s) {
      p.uncommitted
          .computeIfAbsent(new BlobKey(s.account(), s.containerId(), s.name()),
              k -> new TreeMap<>(ByteString.unsignedLexicographicalComparator()))
          .put(s.block().getBlockId(), s.block());
    } else if (change instanceof StateChange.PutTable t) {
      p.tables.computeIfAbsent(t.table().getAccount(), a -> new TreeMap<>(UTF8_ORDER))
          .put(t.table().getName().toLowerCase(Locale.ROOT), t.table());
    } else if (change instanceof StateChange.RemoveTable t) {
      NavigableMap<String, TableRecord> m = p.tables.get(t.account());
      if (m != null) {
        m.remove(t.name().toLowerCase(Locale.ROOT));
      }
      p.entities.remove(new ContainerScope(t.account(), t.tableId()));
    } else if (change instanceof StateChange.RemoveEntities e) {
      p.entities.remove(new ContainerScope(e.account(), e.tableId()));
    } else if (change instanceof StateChange.PutEntity e) {
      EntityRecord r = e.entity();
      p.entities.computeIfAbsent(new ContainerScope(r.getAccount(), r.getTableId()), k -> new TreeMap<>(ENTITY_ORDER))
          .put(new EntityKey(r.getPartitionKey(), r.getRowKey()), r);
    } else if (change instanceof StateChange.RemoveEntity e) {
      NavigableMap<EntityKey, EntityRecord> m = p.entities.get(new ContainerScope(e.account(), e.tableId()));
      if (m != null) {
        m.remove(new EntityKey(e.partitionKey(), e.rowKey()));
      }
    } else if (change instanceof StateChange.PutQueue q) {
      p.queues.computeIfAbsent(q.queue().getAccount(), a -> new TreeMap<>(UTF8_ORDER))
          .put(q.queue().getName(), q.queue());
    } else if (change instanceof StateChange.PutServiceProperties sp) {
      p.serviceProperties.put(
          servicePropertiesKey(sp.properties().getAccount(), sp.properties().getService()), sp.properties());
    } else if (change instanceof StateChange.RemoveQueue q) {
      NavigableMap<String, QueueRecord> m = p.queues.get(q.account());
      if (m != null) {
        m.remove(q.name());
      }
      p.messages.remove(new ContainerScope(q.account(), q.queueId()));
    } else if (change instanceof StateChange.ChangeMessages c) {
      for (MessageRecord r : c.removed()) {
        NavigableMap<Long, MessageRecord> m = p.messages.get(new ContainerScope(r.getAccount(), r.getQueueId()));
        if (m != null) {
          m.remove(r.getSequence());
        }
      }
      for (MessageRecord r : c.put()) {
        p.messages.computeIfAbsent(new ContainerScope(r.getAccount(), r.getQueueId()),
            k -> new TreeMap<>(Long::compareUnsigned)).put(r.getSequence(), r);
      }
    } else if (change instanceof StateChange.RememberSubmit rs) {
      SubmitRecord r = rs.record();
      p.submits.put(r.getSubmitId(), r);
      p.submitTimes.put(new SubmitKey(r.getSubmitEpochMillis(), r.getSubmitId()), Boolean.TRUE);
    } else if (change instanceof StateChange.PutBatchPart bp) {
      EntityBatchPart part = bp.part();
      p.batchParts.put(new PartKey(part.getStagedEpochMillis(), part.getBatchId(), part.getIndex()), part);
    } else if (change instanceof StateChange.RemoveBatchPart rb) {
      p.batchParts.remove(new PartKey(rb.stagedEpochMillis(), rb.batchId(), rb.index()));
    } else if (change instanceof StateChange.ForgetSubmit f) {
      p.submits.remove(f.submitId());
      p.submitTimes.remove(new SubmitKey(f.submitEpochMillis(), f.submitId()));
    } else if (!(change instanceof StateChange.None)) {
      throw new IllegalArgumentException("unknown state change " + change.getClass());
    }
  }

  /**
   * As the RocksDB store, over {@link #records}: the cursor is the index of the next record, so a
   * walk across concurrent commits may skip or repeat records (this store is for tests).
   */
  @Override
  public synchronized ChunkRefPage chunkRefs(int partition, byte[] cursor, int maxRecords) {
    if (maxRecords <= 0) {
      throw new IllegalArgumentException("maxRecords must be positive");
    }
    int from = cursor.length == 0 ? 0 : java.nio.ByteBuffer.wrap(cursor).getInt();
    List<io.cobalt.proto.node.v1.ChunkRef> refs = new ArrayList<>();
    List<StateChange> all = records(partition);
    int i = from;
    int read = 0;
    for (; i < all.size() && read < maxRecords; i++) {
      StateChange r = all.get(i);
      if (r instanceof StateChange.PutBlob b) {
        b.blob().getStreamsList().forEach(st -> refs.addAll(st.getChunksList()));
        read++;
      } else if (r instanceof StateChange.PutSnapshot sn) {
        sn.snapshot().getStreamsList().forEach(st -> refs.addAll(st.getChunksList()));
        read++;
      } else if (r instanceof StateChange.StageBlock u) {
        refs.addAll(u.block().getStream().getChunksList());
        read++;
      }
    }
    byte[] next = i >= all.size() ? new byte[0] : java.nio.ByteBuffer.allocate(4).putInt(i).array();
    return new ChunkRefPage(refs, next);
  }

  @Override
  public synchronized List<StateChange> records(int partition) {
    Partition p = p(partition);
    List<StateChange> out = new ArrayList<>();
    p.containers.values().forEach(m -> m.values().forEach(c -> out.add(new StateChange.PutContainer(c))));
    p.blobs.values().forEach(m -> m.values().forEach(b -> out.add(new StateChange.PutBlob(b))));
    p.snapshots.values().forEach(m -> m.values().forEach(sn -> out.add(new StateChange.PutSnapshot(sn))));
    p.uncommitted.forEach((k, m) -> m.values().forEach(
        u -> out.add(new StateChange.StageBlock(k.account(), k.containerId(), k.name(), u))));
    p.tables.values().forEach(m -> m.values().forEach(t -> out.add(new StateChange.PutTable(t))));
    p.entities.values().forEach(m -> m.values().forEach(e -> out.add(new StateChange.PutEntity(e))));
    p.queues.values().forEach(m -> m.values().forEach(q -> out.add(new StateChange.PutQueue(q))));
    p.messages.values().forEach(m -> m.values().forEach(
        r -> out.add(new StateChange.ChangeMessages(List.of(r), List.of()))));
    p.serviceProperties.values().forEach(sp -> out.add(new StateChange.PutServiceProperties(sp)));
    p.submits.values().forEach(r -> out.add(new StateChange.RememberSubmit(r)));
    p.batchParts.values().forEach(b -> out.add(new StateChange.PutBatchPart(b)));
    // After the blobs: a PutBlob drops its blob's staged record.
    p.staged.values().forEach(m -> m.values().forEach(r -> out.add(new StateChange.PutStagedBlob(r))));
    return out;
  }

  @Override
  public synchronized void replacePartition(int partition, long index, List<StateChange> records) {
    partitions.put(partition, new Partition());
    for (StateChange r : records) {
      if (!(r instanceof StateChange.PutContainer || r instanceof StateChange.PutBlob
          || r instanceof StateChange.PutSnapshot || r instanceof StateChange.StageBlock || r instanceof StateChange.PutTable
          || r instanceof StateChange.PutEntity || r instanceof StateChange.PutQueue
          || r instanceof StateChange.PutServiceProperties || r instanceof StateChange.RememberSubmit
          || r instanceof StateChange.PutBatchPart || r instanceof StateChange.PutStagedBlob
          || (r instanceof StateChange.ChangeMessages c && c.removed().isEmpty()))) {
        throw new IllegalArgumentException("not a partition record: " + r.getClass().getSimpleName());
      }
      commit(partition, index, r);
    }
    p(partition).appliedIndex = index;
  }

  @Override
  public void sync() {
    // volatile: nothing to make durable
  }

  /** Every blob record of {@code partition}, in no particular order (for test fixtures). */
  public synchronized List<BlobRecord> allBlobs(int partition) {
    List<BlobRecord> all = new ArrayList<>();
    p(partition).blobs.values().forEach(m -> all.addAll(m.values()));
    return all;
  }

  /** Every entity record of {@code partition}, in no particular order (for test fixtures). */
  public synchronized List<EntityRecord> allEntities(int partition) {
    List<EntityRecord> all = new ArrayList<>();
    p(partition).entities.values().forEach(m -> all.addAll(m.values()));
    return all;
  }

  /** Every message record of {@code partition}, in no particular order (for test fixtures). */
  public synchronized List<MessageRecord> allMessages(int partition) {
    List<MessageRecord> all = new ArrayList<>();
    p(partition).messages.values().forEach(m -> all.addAll(m.values()));
    return all;
  }

  /** As RocksMetadataStore keys them: the account for Blob, then account, 0x00, kind for the others. */
  private static String servicePropertiesKey(String account, StorageServiceKind service) {
    return service == StorageServiceKind.STORAGE_SERVICE_BLOB ? account : account + '\u0000' + (char) service.getNumber();
  }

  private static void putBlob(Partition p, BlobRecord b) {
    p.blobs.computeIfAbsent(new ContainerScope(b.getAccount(), b.getContainerId()), k -> new TreeMap<>(UTF8_ORDER))
        .put(b.getName(), b);
  }

  private static <T> Page<T> page(NavigableMap<String, T> names, String prefix, String marker, int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive");
    }
    List<T> items = new ArrayList<>();
    if (names == null) {
      return new Page<>(items, false);
    }
    NavigableMap<String, T> tail = marker.isEmpty() ? names : names.tailMap(marker, false);
    for (Map.Entry<String, T> e : tail.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        if (UTF8_ORDER.compare(e.getKey(), prefix) > 0) {
          break;
        }
        continue;
      }
      if (items.size() == limit) {
        return new Page<>(items, true);
      }
      items.add(e.getValue());
    }
    return new Page<>(items, false);
  }
}
