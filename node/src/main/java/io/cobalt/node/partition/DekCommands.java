package io.cobalt.node.partition;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.Page;
import io.cobalt.node.storage.StateChange;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.DekHolder;
import io.cobalt.proto.node.v1.DekHolderKind;
import io.cobalt.proto.node.v1.DekScan;
import io.cobalt.proto.node.v1.DekSwap;
import io.cobalt.proto.node.v1.DekSwapOutcome;
import io.cobalt.proto.node.v1.DekSwaps;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.TableRecord;
import io.cobalt.proto.node.v1.UncommittedBlock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * The rewrap job's side of the state machine (ADR 0013): a bounded walk over every record that
 * holds wrapped DEKs ({@link DekScan}), and a compare-and-swap of one wrapped DEK at a time
 * ({@link DekSwaps}), decided at the apply step so that a record written, deleted or swapped
 * since the job read it is left alone.
 */
final class DekCommands {
  /** Scans return at most this many records; a swap command carries at most this many swaps. */
  static final int MAX_SCAN_RESULTS = 1000;
  static final int MAX_SWAPS = 1000;
  /** A scan answer stops after this many bytes of records (at least one record is always returned). */
  static final int MAX_SCAN_BYTES = 4 * 1024 * 1024;
  /** A wrapped DEK is nonce(12) ‖ GCM(32) ‖ tag(16) = 60 bytes; anything far larger is not one. */
  static final int MAX_WRAPPED_BYTES = 1024;

  private final MetadataStore store;

  DekCommands(MetadataStore store) {
    this.store = store;
  }

  static void validate(DekSwaps cmd) {
    if (cmd.getSwapsCount() == 0 || cmd.getSwapsCount() > MAX_SWAPS) {
      throw new InvalidRequestException("dek_swaps must hold 1.." + MAX_SWAPS + " swaps");
    }
    for (DekSwap s : cmd.getSwapsList()) {
      if (s.getKind() == DekHolderKind.DEK_HOLDER_KIND_UNSPECIFIED || s.getKind() == DekHolderKind.UNRECOGNIZED) {
        throw new InvalidRequestException("dek swap kind is required");
      }
      if (s.getAccount().isEmpty() || s.getName().isEmpty() || s.getRecordId().isEmpty()) {
        throw new InvalidRequestException("dek swap needs account, name and record_id");
      }
      boolean scoped = s.getKind() == DekHolderKind.DEK_HOLDER_BLOB
          || s.getKind() == DekHolderKind.DEK_HOLDER_SNAPSHOT
          || s.getKind() == DekHolderKind.DEK_HOLDER_UNCOMMITTED_BLOCK;
      if (scoped && s.getContainerId().size() != PartitionStateMachine.ID_BYTES) {
        throw new InvalidRequestException("dek swap container_id must be " + PartitionStateMachine.ID_BYTES + " bytes");
      }
      if (s.getKind() == DekHolderKind.DEK_HOLDER_UNCOMMITTED_BLOCK
          && (s.getBlockId().isEmpty() || s.getBlockId().size() > PartitionStateMachine.MAX_BLOCK_ID_BYTES)) {
        throw new InvalidRequestException("dek swap block_id must be 1.." + PartitionStateMachine.MAX_BLOCK_ID_BYTES
            + " bytes");
      }
      if (s.getKind() == DekHolderKind.DEK_HOLDER_SNAPSHOT
          && !SnapshotCommands.isSnapshotTime(s.getRecordId().toStringUtf8())) {
        throw new InvalidRequestException("dek swap record_id of a snapshot must be its snapshot time");
      }
      boolean manyDeks = s.getKind() == DekHolderKind.DEK_HOLDER_BLOB || s.getKind() == DekHolderKind.DEK_HOLDER_SNAPSHOT;
      if (!manyDeks && s.getIndex() != 0) {
        throw new InvalidRequestException("dek swap index must be 0 for a record with one DEK");
      }
      if (!s.hasExpected() || !s.hasReplacement()) {
        throw new InvalidRequestException("dek swap needs expected and replacement");
      }
      WrappedKey e = s.getExpected();
      WrappedKey r = s.getReplacement();
      // ADR 0031: a rewrap may move the DEK to another key (the owner's new key source), but never
      // into or out of a customer-provided key, which only the client holds.
      if (e.getKeyId().equals("cpk") || r.getKeyId().equals("cpk") || !e.getCpkKeySha256().isEmpty()
          || !r.getCpkKeySha256().isEmpty() || !r.getCpkSalt().isEmpty()) {
        throw new InvalidRequestException("a rewrap cannot involve a customer-provided key");
      }
      if (r.getKeyId().isEmpty()) {
        throw new InvalidRequestException("replacement names no key");
      }
      if (r.getCiphertext().isEmpty() || r.getCiphertext().size() > MAX_WRAPPED_BYTES || r.getKeyVersion() == 0) {
        throw new InvalidRequestException("replacement is not a wrapped key");
      }
    }
  }

  /**
   * The record a swap names (kinds are separate namespaces; table names compare in lower case; a
   * snapshot is named by its time, which is its record id).
   */
  private record Identity(DekHolderKind kind, String account, ByteString containerId, String name, ByteString blockId) {
    static Identity of(DekSwap s) {
      String name = s.getKind() == DekHolderKind.DEK_HOLDER_TABLE ? s.getName().toLowerCase(Locale.ROOT) : s.getName();
      ByteString sub = s.getKind() == DekHolderKind.DEK_HOLDER_SNAPSHOT ? s.getRecordId() : s.getBlockId();
      return new Identity(s.getKind(), s.getAccount(), s.getContainerId(), name, sub);
    }
  }

  /** Decides every swap in order against the state as changed by the swaps before it. */
  Outcome swap(int partition, DekSwaps cmd) {
    Map<Identity, Object> pending = new LinkedHashMap<>();  // records as changed by earlier swaps
    CommandResult.Builder result = CommandResult.newBuilder().setStatus(CommandStatus.OK);
    for (DekSwap s : cmd.getSwapsList()) {
      Identity identity = Identity.of(s);
      Object current = pending.containsKey(identity) ? pending.get(identity) : switch (s.getKind()) {
        case DEK_HOLDER_BLOB -> store.blob(partition, s.getAccount(), s.getContainerId(), s.getName()).orElse(null);
        case DEK_HOLDER_UNCOMMITTED_BLOCK -> store.uncommittedBlock(
            partition, s.getAccount(), s.getContainerId(), s.getName(), s.getBlockId()).orElse(null);
        case DEK_HOLDER_TABLE -> store.table(partition, s.getAccount(), s.getName()).orElse(null);
        case DEK_HOLDER_QUEUE -> store.queue(partition, s.getAccount(), s.getName()).orElse(null);
        case DEK_HOLDER_SNAPSHOT -> store.snapshot(partition, s.getAccount(), s.getContainerId(), s.getName(),
            s.getRecordId().toStringUtf8()).orElse(null);
        default -> throw new InvalidRequestException("dek swap kind is required");
      };
      Object changed = swapped(current, s);
      if (changed == null) {
        result.addDekSwapOutcomes(DekSwapOutcome.DEK_SWAP_CHANGED);
      } else {
        pending.put(identity, changed);
        result.addDekSwapOutcomes(DekSwapOutcome.DEK_SWAPPED);
      }
    }
    List<StateChange> changes = new ArrayList<>();
    pending.forEach((id, record) -> changes.add(change(id, record)));
    return new Outcome(changes.isEmpty() ? StateChange.NONE : new StateChange.Batch(changes), result);
  }

  /** {@code current} with the swap made, or null if it is not the same incarnation holding exactly the expected key. */
  private static Object swapped(Object current, DekSwap s) {
    if (current instanceof BlobRecord b && !b.getSnapshot().isEmpty()) {
      // A snapshot never changes, so its time identifies the incarnation (ADR 0022).
      return s.getKind() == DekHolderKind.DEK_HOLDER_SNAPSHOT
          && ByteString.copyFromUtf8(b.getSnapshot()).equals(s.getRecordId()) ? swappedBlobDek(b, s) : null;
    }
    if (current instanceof BlobRecord b) {
      return b.getVersionId().equals(s.getRecordId()) ? swappedBlobDek(b, s) : null;
    }
    if (current instanceof UncommittedBlock u) {
      return u.getStream().getStreamId().equals(s.getRecordId()) && u.getDek().equals(s.getExpected())
          ? u.toBuilder().setDek(s.getReplacement()).build() : null;
    }
    if (current instanceof TableRecord t) {
      return t.getTableId().equals(s.getRecordId()) && t.getDek().equals(s.getExpected())
          ? t.toBuilder().setDek(s.getReplacement()).build() : null;
    }
    if (current instanceof QueueRecord q) {
      return q.getQueueId().equals(s.getRecordId()) && q.getDek().equals(s.getExpected())
          ? q.toBuilder().setDek(s.getReplacement()).build() : null;
    }
    return null;
  }

  /**
   * A blob's DEK at the swap's index replaced, or null if it does not hold the expected key: index
   * deks_count names the tags DEK (BlobRecord.tags_dek, ADR 0018), listed last by a scan.
   */
  private static BlobRecord swappedBlobDek(BlobRecord b, DekSwap s) {
    if (s.getIndex() < b.getDeksCount()) {
      return b.getDeks(s.getIndex()).equals(s.getExpected())
          ? b.toBuilder().setDeks(s.getIndex(), s.getReplacement()).build() : null;
    }
    if (s.getIndex() == b.getDeksCount() && b.hasTagsDek() && b.getTagsDek().equals(s.getExpected())) {
      return b.toBuilder().setTagsDek(s.getReplacement()).build();
    }
    return null;
  }

  private static StateChange change(Identity id, Object record) {
    if (record instanceof BlobRecord b && !b.getSnapshot().isEmpty()) {
      return new StateChange.PutSnapshot(b);
    }
    if (record instanceof BlobRecord b) {
      return new StateChange.UpdateBlob(b);  // keeps the blob's uncommitted blocks
    }
    if (record instanceof UncommittedBlock u) {
      return new StateChange.StageBlock(id.account(), id.containerId(), id.name(), u);
    }
    if (record instanceof TableRecord t) {
      return new StateChange.PutTable(t);
    }
    return new StateChange.PutQueue((QueueRecord) record);
  }

  void scan(int partition, DekScan q, QueryResult.Builder result) {
    if (q.getAfter().size() > 2 * PartitionStateMachine.MAX_NAME_BYTES + 1024) {
      throw new InvalidRequestException("dek_scan.after is not a position");
    }
    int limit = q.getMaxResults() <= 0 || q.getMaxResults() > MAX_SCAN_RESULTS ? MAX_SCAN_RESULTS : q.getMaxResults();
    Page<MetadataStore.DekRecord> page;
    try {
      page = store.dekRecords(partition, q.getAfter(), limit);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("dek_scan.after is not a position");
    }
    long bytes = 0;
    boolean cut = false;
    for (MetadataStore.DekRecord r : page.items()) {
      DekHolder h = holder(r);
      if (bytes > 0 && bytes + h.getSerializedSize() > MAX_SCAN_BYTES) {
        cut = true;  // a blob can hold 50,000 wrapped DEKs: keep the answer well under a message's limit
        break;
      }
      bytes += h.getSerializedSize();
      result.addDekHolders(h);
    }
    result.setTruncated(cut || page.truncated());
  }

  private static DekHolder holder(MetadataStore.DekRecord r) {
    DekHolder.Builder h = DekHolder.newBuilder().setPosition(r.position());
    if (r.record() instanceof StateChange.PutBlob b) {
      BlobRecord x = b.blob();
      h.setKind(DekHolderKind.DEK_HOLDER_BLOB).setAccount(x.getAccount()).setContainerId(x.getContainerId())
          .setName(x.getName()).setRecordId(x.getVersionId()).addAllDeks(x.getDeksList())
          .setEncryptionScope(x.getEncryptionScope());
      if (x.hasTagsDek()) {
        h.addDeks(x.getTagsDek());  // index deks_count (see swappedBlobDek)
      }
    } else if (r.record() instanceof StateChange.PutSnapshot sn) {
      BlobRecord x = sn.snapshot();
      h.setKind(DekHolderKind.DEK_HOLDER_SNAPSHOT).setAccount(x.getAccount()).setContainerId(x.getContainerId())
          .setName(x.getName()).setRecordId(ByteString.copyFromUtf8(x.getSnapshot())).addAllDeks(x.getDeksList())
          .setEncryptionScope(x.getEncryptionScope());
      if (x.hasTagsDek()) {
        h.addDeks(x.getTagsDek());
      }
    } else if (r.record() instanceof StateChange.StageBlock s) {
      h.setKind(DekHolderKind.DEK_HOLDER_UNCOMMITTED_BLOCK).setAccount(s.account()).setContainerId(s.containerId())
          .setName(s.name()).setBlockId(s.block().getBlockId()).setRecordId(s.block().getStream().getStreamId())
          .addDeks(s.block().getDek()).setEncryptionScope(s.block().getEncryptionScope());
    } else if (r.record() instanceof StateChange.PutTable t) {
      TableRecord x = t.table();
      h.setKind(DekHolderKind.DEK_HOLDER_TABLE).setAccount(x.getAccount()).setName(x.getName())
          .setRecordId(x.getTableId());
      if (x.hasDek()) {
        h.addDeks(x.getDek());
      }
    } else if (r.record() instanceof StateChange.PutQueue qu) {
      QueueRecord x = qu.queue();
      h.setKind(DekHolderKind.DEK_HOLDER_QUEUE).setAccount(x.getAccount()).setName(x.getName())
          .setRecordId(x.getQueueId());
      if (x.hasDek()) {
        h.addDeks(x.getDek());
      }
    } else {
      throw new IllegalStateException("not a DEK record: " + r.record().getClass().getSimpleName());
    }
    return h.build();
  }

  record Outcome(StateChange change, CommandResult.Builder result) {}
}
