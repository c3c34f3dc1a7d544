package io.cobalt.node.storage;

import com.google.protobuf.ByteString;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.EntityBatchPart;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.MessageRecord;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.ServicePropertiesRecord;
import io.cobalt.proto.node.v1.SubmitRecord;
import io.cobalt.proto.node.v1.TableRecord;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.util.List;

/** The effect of one applied metadata command on a partition's state (committed with the applied index). */
public sealed interface StateChange {
  /** The command took no effect (e.g. ALREADY_EXISTS); only the applied index advances. */
  record None() implements StateChange {}

  record PutContainer(ContainerRecord container) implements StateChange {}

  record RemoveContainer(String account, String name) implements StateChange {}

  /** A new committed version (Put Blob, Put Block List): also drops the blob's uncommitted blocks. */
  record PutBlob(BlobRecord blob) implements StateChange {}

  /** New properties or metadata of the current version: the uncommitted blocks stay. */
  record UpdateBlob(BlobRecord blob) implements StateChange {}

  /** Removes the blob and its uncommitted blocks. */
  record RemoveBlob(String account, ByteString containerId, String name) implements StateChange {}

  /** Adds an uncommitted block to a blob, replacing one with the same block id. */
  record StageBlock(String account, ByteString containerId, String name, UncommittedBlock block)
      implements StateChange {}

  /** Creates a table (keyed by its lower-case name). */
  record PutTable(TableRecord table) implements StateChange {}

  /**
   * Removes a table ({@code name} in any case) and its entities in this partition (one range
   * delete); its entities in other partitions go with {@link RemoveEntities} there.
   */
  record RemoveTable(String account, String name, ByteString tableId) implements StateChange {}

  /** Removes every entity of one (deleted) table in this partition, by one range delete. */
  record RemoveEntities(String account, ByteString tableId) implements StateChange {}

  /** Inserts or replaces one entity. */
  record PutEntity(EntityRecord entity) implements StateChange {}

  record RemoveEntity(String account, ByteString tableId, String partitionKey, String rowKey)
      implements StateChange {}

  /**
   * The writes of an entity-group transaction ({@link PutEntity} and {@link RemoveEntity} only),
   * committed in one atomic write (ADR 0016).
   */
  record Entities(List<StateChange> changes) implements StateChange {
    public Entities {
      changes = List.copyOf(changes);
      for (StateChange c : changes) {
        if (!(c instanceof PutEntity || c instanceof RemoveEntity)) {
          throw new IllegalArgumentException("not an entity change: " + c.getClass().getSimpleName());
        }
      }
    }
  }

  /** Creates a queue or replaces its record (metadata). */
  record PutQueue(QueueRecord queue) implements StateChange {}

  /** Removes a queue and its messages (in the same partition; one range delete). */
  record RemoveQueue(String account, String name, ByteString queueId) implements StateChange {}

  /**
   * Stores ({@code put}, inserted or replaced) and removes ({@code removed}, by account, queue id
   * and sequence) messages, in one write.
   */
  record ChangeMessages(List<MessageRecord> put, List<MessageRecord> removed) implements StateChange {
    public ChangeMessages {
      put = List.copyOf(put);
      removed = List.copyOf(removed);
    }
  }

  /** Several changes in one atomic write, in order (the rewrap job's DEK swaps). No nesting. */
  record Batch(List<StateChange> changes) implements StateChange {
    public Batch {
      changes = List.copyOf(changes);
      for (StateChange c : changes) {
        if (c instanceof Batch) {
          throw new IllegalArgumentException("nested batch");
        }
      }
    }
  }

  /** Creates or replaces an account's Blob service properties (one record per account). */
  record PutServiceProperties(ServicePropertiesRecord properties) implements StateChange {}

  /**
   * Remembers an applied command's submit id with the result it got, for the partition's
   * deduplication window (ADR 0024). Also an image record.
   */
  record RememberSubmit(SubmitRecord record) implements StateChange {}

  /** Forgets a remembered submit that left the deduplication window. */
  record ForgetSubmit(ByteString submitId, long submitEpochMillis) implements StateChange {}

  /** Stores a staged part of a large entity-group transaction (ADR 0025). Also an image record. */
  record PutBatchPart(EntityBatchPart part) implements StateChange {}

  /** Removes a staged part (committed, refused or left behind). */
  record RemoveBatchPart(long stagedEpochMillis, ByteString batchId, int index) implements StateChange {}

  /**
   * Stores a blob snapshot (ADR 0022): an immutable copy of a blob record whose
   * {@code snapshot} field is set, keyed by (account, container id, name, snapshot).
   */
  record PutSnapshot(BlobRecord snapshot) implements StateChange {
    public PutSnapshot {
      if (snapshot.getSnapshot().isEmpty()) {
        throw new IllegalArgumentException("a snapshot record needs its snapshot time");
      }
    }
  }

  /** Removes one snapshot of a blob. */
  record RemoveSnapshot(String account, ByteString containerId, String name, String snapshot)
      implements StateChange {}

  /** Removes every snapshot of a blob (Delete Blob with x-ms-delete-snapshots). */
  record RemoveSnapshots(String account, ByteString containerId, String name) implements StateChange {}

  /**
   * Records that a blob has uncommitted blocks, and when they were first and last staged (ADR
   * 0026), with its entry in the time index at {@code last_staged_epoch_millis}. Also an image
   * record. The entry of an earlier time stays until {@link ForgetStagedBlobTime} removes it;
   * {@code PutBlob} and {@code RemoveBlob} drop the record (not its time entry).
   */
  record PutStagedBlob(io.cobalt.proto.node.v1.StagedBlobRecord record) implements StateChange {}

  /** Removes a blob's staged-blob record (its time entry stays: {@link ForgetStagedBlobTime}). */
  record RemoveStagedBlob(String account, ByteString containerId, String name) implements StateChange {}

  /** Removes one entry of the staged-blob time index. */
  record ForgetStagedBlobTime(long millis, String account, ByteString containerId, String name)
      implements StateChange {}

  /** Drops every uncommitted block of a blob (expired: ADR 0026), by one range delete. */
  record DropUncommittedBlocks(String account, ByteString containerId, String name) implements StateChange {}

  StateChange NONE = new None();
}
