package io.cobalt.node.partition;

import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.StateChange;
import io.cobalt.proto.node.v1.AppendBlobSeal;
import io.cobalt.proto.node.v1.AppendBlock;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.StreamRef;
import java.util.Optional;

/**
 * Append blobs (docs/adr/0017-append-blobs.md): Append Block and Append Blob Seal, decided at the
 * apply step from the partition's state and the command alone (no clock: times, ids and ETags
 * arrive in the command), so every replica decides alike.
 *
 * <p>An Append Block command carries one {@link StreamRef} (the block's chunk references), never
 * the block's data: a log entry stays a few hundred bytes whatever the block size.
 */
final class AppendCommands {
  /** The value of {@code BlobRecord.blob_type} for append blobs. */
  static final String APPEND_BLOB = "AppendBlob";
  /** Azure's largest Append Block body: 4 MiB (ADR 0017 explains why not the 100 MiB preview). */
  static final long MAX_APPEND_BLOCK_BYTES = 4L * 1024 * 1024;
  /** A 4 MiB block is one chunk; a gateway with smaller chunks may use a few more. */
  static final int MAX_CHUNKS_PER_BLOCK = 64;
  static final int MANIFEST_MAC_BYTES = 32;

  record Outcome(StateChange change, CommandResult.Builder result) {}

  private final MetadataStore store;

  AppendCommands(MetadataStore store) {
    this.store = store;
  }

  static void validate(AppendBlock a) {
    if (!a.hasStream()) {
      throw new InvalidRequestException("append_block.stream is required");
    }
    StreamRef st = a.getStream();
    if (st.getStreamId().size() != PartitionStateMachine.ID_BYTES) {
      throw new InvalidRequestException("stream_id must be " + PartitionStateMachine.ID_BYTES + " bytes");
    }
    if (st.getDekIndex() != 0 || !st.getObjectId().isEmpty() || !st.getBlockId().isEmpty()) {
      throw new InvalidRequestException("an appended stream uses the blob's DEK and object id and has no block id");
    }
    if (st.getPlaintextLength() > MAX_APPEND_BLOCK_BYTES || st.getChunksCount() > MAX_CHUNKS_PER_BLOCK) {
      throw new InvalidRequestException("an appended block is at most " + MAX_APPEND_BLOCK_BYTES + " bytes");
    }
    long sum = 0;
    for (var c : st.getChunksList()) {
      sum += c.getPlaintextLength();
    }
    if (sum != st.getPlaintextLength()) {
      throw new InvalidRequestException("the chunks' lengths do not add up to the stream's");
    }
    if (a.getExpectedVersionId().isEmpty() || a.getVersionId().size() != PartitionStateMachine.ID_BYTES) {
      throw new InvalidRequestException("expected_version_id and a " + PartitionStateMachine.ID_BYTES
          + "-byte version_id are required");
    }
    if (a.getManifestMac().size() != MANIFEST_MAC_BYTES || a.getEtag().isEmpty()) {
      throw new InvalidRequestException("manifest_mac (32 bytes) and etag are required");
    }
  }

  static void validate(AppendBlobSeal s) {
    if (s.getEtag().isEmpty()) {
      throw new InvalidRequestException("etag is required");
    }
  }

  /** Append Block: see the order of checks on {@code AppendBlock} in metadata.proto. */
  Outcome append(int partition, AppendBlock cmd) {
    Optional<BlobRecord> previous = store.blob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    if (previous.isEmpty()) {
      return refused(CommandStatus.NOT_FOUND);
    }
    BlobRecord b = previous.get();
    for (StreamRef st : b.getStreamsList()) {
      if (st.getStreamId().equals(cmd.getStream().getStreamId())) {
        // This block is already appended (the same command applied twice: a resubmission after a
        // lost answer): appending it again would duplicate the data, refusing it would lie.
        return new Outcome(StateChange.NONE, status(CommandStatus.OK).setBlob(properties(b)));
      }
    }
    CommandStatus refused = writeCondition(cmd.getCondition(), b);
    if (refused != null) {
      return refused(refused);
    }
    if (!APPEND_BLOB.equals(b.getBlobType())) {
      return refused(CommandStatus.INVALID_BLOB_TYPE);
    }
    if (b.getSealed()) {
      return refused(CommandStatus.BLOB_SEALED);
    }
    if (cmd.hasAppendPosition() && cmd.getAppendPosition() != b.getContentLength()) {
      return refused(CommandStatus.APPEND_POSITION_CONDITION_NOT_MET);
    }
    long length = b.getContentLength() + cmd.getStream().getPlaintextLength();
    if (cmd.hasMaxSize() && Long.compareUnsigned(length, cmd.getMaxSize()) > 0) {
      return refused(CommandStatus.MAX_BLOB_SIZE_CONDITION_NOT_MET);
    }
    if (b.getStreamsCount() >= PartitionStateMachine.MAX_COMMITTED_BLOCKS) {
      return refused(CommandStatus.BLOCK_COUNT_EXCEEDS_LIMIT);
    }
    if (!b.getVersionId().equals(cmd.getExpectedVersionId())) {
      return refused(CommandStatus.APPEND_BLOB_CHANGED);
    }
    BlobRecord updated = b.toBuilder()
        .addStreams(cmd.getStream())
        .setContentLength(length)
        .setVersionId(cmd.getVersionId())
        .setManifestMac(cmd.getManifestMac())
        .setEtag(cmd.getEtag())
        .setLastModifiedEpochMillis(cmd.getLastModifiedEpochMillis())
        .build();
    return new Outcome(new StateChange.UpdateBlob(updated), status(CommandStatus.OK).setBlob(properties(updated)));
  }

  /** Append Blob Seal: idempotent; the append position condition applies as for Append Block. */
  Outcome seal(int partition, AppendBlobSeal cmd) {
    Optional<BlobRecord> previous = store.blob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    if (previous.isEmpty()) {
      return refused(CommandStatus.NOT_FOUND);
    }
    BlobRecord b = previous.get();
    CommandStatus refused = writeCondition(cmd.getCondition(), b);
    if (refused != null) {
      return refused(refused);
    }
    if (!APPEND_BLOB.equals(b.getBlobType())) {
      return refused(CommandStatus.INVALID_BLOB_TYPE);
    }
    if (cmd.hasAppendPosition() && cmd.getAppendPosition() != b.getContentLength()) {
      return refused(CommandStatus.APPEND_POSITION_CONDITION_NOT_MET);
    }
    BlobRecord updated = b.toBuilder()
        .setSealed(true)
        .setEtag(cmd.getEtag())
        .setLastModifiedEpochMillis(cmd.getLastModifiedEpochMillis())
        .build();
    return new Outcome(new StateChange.UpdateBlob(updated), status(CommandStatus.OK).setBlob(properties(updated)));
  }

  /**
   * The blob's properties for the answer, without the manifest (up to 50,000 streams) or the
   * wrapped keys: the gateway knows the manifest it signed.
   */
  private static BlobRecord properties(BlobRecord b) {
    return b.toBuilder().clearStreams().clearDeks().clearManifestMac().build();
  }

  /** ETag and date conditions first, then the lease, as for every other blob write. */
  private static CommandStatus writeCondition(Condition c, BlobRecord current) {
    CommandStatus refused = Conditions.check(c, Optional.of(current));
    if (refused != null) {
      return refused;
    }
    return Leases.checkWrite(c, current.hasLease(), current.getLease(), true);
  }

  private static Outcome refused(CommandStatus s) {
    return new Outcome(StateChange.NONE, status(s));
  }

  private static CommandResult.Builder status(CommandStatus s) {
    return CommandResult.newBuilder().setStatus(s);
  }
}
