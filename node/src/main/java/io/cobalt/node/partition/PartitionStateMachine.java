package io.cobalt.node.partition;

import com.google.protobuf.ByteString;
import io.cobalt.node.storage.ChunkRefPage;
import io.cobalt.node.storage.MetadataStore;
import io.cobalt.node.storage.PartitionImage;
import io.cobalt.node.storage.Page;
import io.cobalt.node.storage.StateChange;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.cobalt.proto.node.v1.AppendBlobSeal;
import io.cobalt.proto.node.v1.AppendBlock;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommitBlockList;
import io.cobalt.proto.node.v1.Condition;
import io.cobalt.proto.node.v1.GetBlockList;
import io.cobalt.proto.node.v1.SetBlobProperties;
import io.cobalt.proto.node.v1.SetContainerMetadata;
import io.cobalt.proto.node.v1.StageBlock;
import io.cobalt.proto.node.v1.StagedBlobRecord;
import io.cobalt.proto.node.v1.StreamRef;
import io.cobalt.proto.node.v1.UncommittedBlock;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.CreateContainer;
import io.cobalt.proto.node.v1.DeleteBlob;
import io.cobalt.proto.node.v1.DeleteContainer;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.GetContainer;
import io.cobalt.proto.node.v1.ListBlobs;
import io.cobalt.proto.node.v1.ListContainers;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.PutBlob;
import io.cobalt.proto.node.v1.CreateTable;
import io.cobalt.proto.node.v1.DeleteEntity;
import io.cobalt.proto.node.v1.DeleteTable;
import io.cobalt.proto.node.v1.EntityBatch;
import io.cobalt.proto.node.v1.EntityBatchOperation;
import io.cobalt.proto.node.v1.EntityBatchPart;
import io.cobalt.proto.node.v1.EntityBatchOutcome;
import io.cobalt.proto.node.v1.EntityRecord;
import io.cobalt.proto.node.v1.QueueAclSet;
import io.cobalt.proto.node.v1.QueueRecord;
import io.cobalt.proto.node.v1.TableAclSet;
import io.cobalt.proto.node.v1.GetEntity;
import io.cobalt.proto.node.v1.GetTable;
import io.cobalt.proto.node.v1.ListQueues;
import io.cobalt.proto.node.v1.ListTables;
import io.cobalt.proto.node.v1.PutEntity;
import io.cobalt.proto.node.v1.ScanEntities;
import io.cobalt.proto.node.v1.TableRecord;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.ContainerAclUpdate;
import io.cobalt.proto.node.v1.LeaseBlob;
import io.cobalt.proto.node.v1.LeaseContainer;
import io.cobalt.proto.node.v1.SignedIdentifier;
import io.cobalt.proto.node.v1.ServicePropertiesRecord;
import io.cobalt.proto.node.v1.SubmitRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The metadata state of this node's partitions: applies {@link MetadataCommand}s and answers
 * {@link MetadataQuery}s.
 *
 * <p>{@link #apply} is deterministic: its outcome depends only on the partition's state and the
 * command (timestamps, ids and ETags arrive inside the command; no clock, no randomness here), so
 * replicas applying the same log reach the same state. Commands of one partition must be applied
 * one at a time, with increasing indexes (the {@link CommandLog} guarantees it); partitions are
 * independent.
 */
public final class PartitionStateMachine {
  /** Listings return at most this many names per call; {@code max_results = 0} means this many. */
  public static final int MAX_LIST_RESULTS = 5000;
  static final int MAX_ACCOUNT_BYTES = 256;
  static final int MAX_NAME_BYTES = 4096;
  static final int ID_BYTES = 16;
  /** Azure's limits: block ids of at most 64 bytes, 100,000 uncommitted and 50,000 committed blocks per blob. */
  public static final int MAX_BLOCK_ID_BYTES = 64;
  public static final int MAX_UNCOMMITTED_BLOCKS = 100_000;
  public static final int MAX_COMMITTED_BLOCKS = 50_000;

  /** Azure's table names: 3..63 alphanumerics starting with a letter ("Tables" is reserved). */
  private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9]{2,62}");
  /** A PartitionKey or RowKey is at most this many UTF-16 code units (docs/table-query.md). */
  public static final int MAX_KEY_CHARS = 1024;
  /**
   * Sealed properties of one entity at most this long: Azure's 1 MiB entity (by its size formula)
   * encodes to at most ~2 MiB of JSON in the worst case (binary as base64 with annotations).
   */
  public static final int MAX_SEALED_PROPERTIES_BYTES = 2 * 1024 * 1024 + 1024;
  /** Operations of one entity-group transaction: Azure's 100. */
  public static final int MAX_BATCH_OPERATIONS = 100;
  /** Staged parts of one large entity-group transaction at most (ADR 0025). */
  public static final int MAX_BATCH_PARTS = 8;
  /** Stored access policies of one container, table or queue: Azure's 5. */
  public static final int MAX_SIGNED_IDENTIFIERS = 5;
  /**
   * Sealed properties of one entity-group transaction in all: Azure's 4 MiB request body, its JSON
   * re-encoded at most twice as long (as for one entity), plus the seal overhead of 100 entities.
   */
  public static final int MAX_BATCH_SEALED_BYTES = 8 * 1024 * 1024 + 100 * 1024;
  /** Scans return at most this many entities per call (Azure's page size is 1,000). */
  public static final int MAX_SCAN_RESULTS = 1001;

  /**
   * How long a partition remembers an applied submit id (ADR 0024): longer than any gateway keeps
   * retrying a command (its deadlines add up to well under a minute) plus the clock difference
   * tolerated between gateways. A command older than this, relative to the newest submit the
   * partition has seen, is refused ({@code SUBMIT_EXPIRED}) rather than risk a second apply.
   */
  public static final long SUBMIT_WINDOW_MILLIS = 5 * 60_000;
  /** Remembered submits forgotten per applied command at most (bounds the cost of one apply). */
  static final int FORGET_PER_APPLY = 32;
  /**
   * Azure discards a blob's uncommitted blocks when nobody staged a block to it or committed it for
   * a week (ADR 0026): measured from the last Put Block's time, at the apply step.
   */
  public static final long STAGED_BLOCK_EXPIRY_MILLIS = 7L * 24 * 60 * 60 * 1000;
  /** Staged-blob time entries looked at per applied command at most (bounds the cost of one apply). */
  static final int EXPIRE_STAGED_PER_APPLY = 8;

  private final MetadataStore store;
  private final int partitions;
  private final AtomicLongArray appliedIndexes;
  private final QueueCommands queues;
  private final DekCommands deks;
  private final SnapshotCommands snapshots;
  private final AppendCommands appends;
  private final long stagedBlockExpiryMillis;

  /** Loads each partition's applied index from {@code store}. */
  public PartitionStateMachine(MetadataStore store, int partitions) {
    this(store, partitions, STAGED_BLOCK_EXPIRY_MILLIS);
  }

  /**
   * As {@link #PartitionStateMachine(MetadataStore, int)}, with uncommitted blocks discarded
   * {@code stagedBlockExpiryMillis} after a blob's last Put Block (Azure: 7 days). Every replica of
   * a partition must use the same value.
   */
  public PartitionStateMachine(MetadataStore store, int partitions, long stagedBlockExpiryMillis) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions must be positive");
    }
    if (stagedBlockExpiryMillis <= 0) {
      throw new IllegalArgumentException("stagedBlockExpiryMillis must be positive");
    }
    this.stagedBlockExpiryMillis = stagedBlockExpiryMillis;
    this.store = store;
    this.partitions = partitions;
    this.appliedIndexes = new AtomicLongArray(partitions);
    this.queues = new QueueCommands(store);
    this.deks = new DekCommands(store);
    this.snapshots = new SnapshotCommands(store);
    this.appends = new AppendCommands(store);
    for (int p = 0; p < partitions; p++) {
      appliedIndexes.set(p, store.appliedIndex(p));
    }
  }

  public int partitions() {
    return partitions;
  }

  /** The index of the last command applied to {@code partition} (0 before the first). */
  public long appliedIndex(int partition) {
    checkPartition(partition);
    return appliedIndexes.get(partition);
  }

  /**
   * Checks that {@code command} is well formed (partition in range, one command set, required
   * fields present, ids of the right length). Call before a command enters the log.
   *
   * @throws InvalidRequestException if it is not
   */
  public void validate(MetadataCommand command) {
    checkPartition(command.getPartition());
    if (!command.getSubmitId().isEmpty()) {
      checkId("submit_id", command.getSubmitId());
      if (command.getSubmitEpochMillis() <= 0) {
        throw new InvalidRequestException("submit_epoch_millis must be positive with a submit_id");
      }
    }
    switch (command.getCommandCase()) {
      case CREATE_CONTAINER -> {
        if (!command.getCreateContainer().hasContainer()) {
          throw new InvalidRequestException("create_container.container is required");
        }
        ContainerRecord c = command.getCreateContainer().getContainer();
        checkAccount(c.getAccount());
        checkName("container name", c.getName());
        checkId("container_id", c.getContainerId());
        if (c.hasLease()) {
          throw new InvalidRequestException("a new container has no lease");
        }
        checkAcl(ContainerAclUpdate.newBuilder().setPublicAccess(c.getPublicAccess())
            .addAllSignedIdentifiers(c.getSignedIdentifiersList()).build());
      }
      case DELETE_CONTAINER -> {
        checkAccount(command.getDeleteContainer().getAccount());
        checkName("container name", command.getDeleteContainer().getName());
      }
      case PUT_BLOB -> {
        if (!command.getPutBlob().hasBlob()) {
          throw new InvalidRequestException("put_blob.blob is required");
        }
        BlobRecord b = command.getPutBlob().getBlob();
        checkAccount(b.getAccount());
        checkId("container_id", b.getContainerId());
        checkName("blob name", b.getName());
        if (AppendCommands.APPEND_BLOB.equals(b.getBlobType()) && (b.getStreamsCount() > 0 || b.getSealed())) {
          throw new InvalidRequestException("a new append blob is empty and not sealed");
        }
        checkTags(b.getSealedTags(), b.getTagsId(), b.getTagCount());
      }
      case DELETE_BLOB -> {
        DeleteBlob d = command.getDeleteBlob();
        checkAccount(d.getAccount());
        checkId("container_id", d.getContainerId());
        checkName("blob name", d.getName());
        SnapshotCommands.validate(d);
      }
      case STAGE_BLOCK -> {
        StageBlock sb = command.getStageBlock();
        checkAccount(sb.getAccount());
        checkId("container_id", sb.getContainerId());
        checkName("blob name", sb.getName());
        if (!sb.hasBlock() || !sb.getBlock().hasStream() || !sb.getBlock().hasDek()) {
          throw new InvalidRequestException("stage_block.block with stream and dek is required");
        }
        checkBlockId(sb.getBlock().getBlockId());
        checkId("stream_id", sb.getBlock().getStream().getStreamId());
      }
      case COMMIT_BLOCK_LIST -> {
        if (!command.getCommitBlockList().hasBlob()) {
          throw new InvalidRequestException("commit_block_list.blob is required");
        }
        BlobRecord b = command.getCommitBlockList().getBlob();
        checkAccount(b.getAccount());
        checkId("container_id", b.getContainerId());
        checkName("blob name", b.getName());
        checkTags(b.getSealedTags(), b.getTagsId(), b.getTagCount());
        if (b.getStreamsCount() > MAX_COMMITTED_BLOCKS) {
          throw new InvalidRequestException("more than " + MAX_COMMITTED_BLOCKS + " blocks");
        }
        for (StreamRef st : b.getStreamsList()) {
          checkBlockId(st.getBlockId());
          if (st.getDekIndex() >= b.getDeksCount()) {
            throw new InvalidRequestException("dek_index " + st.getDekIndex() + " is out of range");
          }
        }
      }
      case SET_BLOB_PROPERTIES -> {
        SetBlobProperties sp = command.getSetBlobProperties();
        checkAccount(sp.getAccount());
        checkId("container_id", sp.getContainerId());
        checkName("blob name", sp.getName());
      }
      case SET_BLOB_TAGS -> {
        io.cobalt.proto.node.v1.SetBlobTags st = command.getSetBlobTags();
        checkAccount(st.getAccount());
        checkId("container_id", st.getContainerId());
        checkName("blob name", st.getName());
        checkId("version_id", st.getVersionId());
        checkTags(st.getSealedTags(), st.getTagsId(), st.getTagCount());
        if (st.hasTagsDek() && (st.getSealedTags().isEmpty() || st.getTagsDek().getCiphertext().isEmpty()
            || st.getTagsDek().getSerializedSize() > DekCommands.MAX_WRAPPED_BYTES)) {
          throw new InvalidRequestException("tags_dek must be a wrapped key and come with sealed tags");
        }
      }
      case SET_CONTAINER_METADATA -> {
        checkAccount(command.getSetContainerMetadata().getAccount());
        checkName("container name", command.getSetContainerMetadata().getName());
      }
      case CREATE_TABLE -> {
        if (!command.getCreateTable().hasTable()) {
          throw new InvalidRequestException("create_table.table is required");
        }
        TableRecord t = command.getCreateTable().getTable();
        checkAccount(t.getAccount());
        checkTableName(t.getName());
        checkId("table_id", t.getTableId());
        if (!t.hasDek()) {
          throw new InvalidRequestException("create_table.table.dek is required");
        }
      }
      case DELETE_TABLE -> {
        checkAccount(command.getDeleteTable().getAccount());
        checkTableName(command.getDeleteTable().getName());
      }
      case PUT_ENTITY -> validatePutEntity(command.getPutEntity());
      case DELETE_ENTITY -> validateDeleteEntity(command.getDeleteEntity());
      case ENTITY_BATCH -> validateEntityBatch(command.getEntityBatch());
      case ENTITY_BATCH_PART -> validateEntityBatchPart(command.getEntityBatchPart());
      case SET_TABLE_ACL -> {
        checkAccount(command.getSetTableAcl().getAccount());
        checkTableName(command.getSetTableAcl().getName());
        List<String[]> ids = new ArrayList<>();
        command.getSetTableAcl().getIdentifiersList().forEach(
            i -> ids.add(new String[] {i.getId(), i.getStart(), i.getExpiry(), i.getPermission()}));
        checkAcl(ids);
      }
      case PURGE_TABLE -> {
        checkAccount(command.getPurgeTable().getAccount());
        checkId("table_id", command.getPurgeTable().getTableId());
      }
      case SET_QUEUE_ACL -> {
        checkAccount(command.getSetQueueAcl().getAccount());
        QueueCommands.checkQueueName(command.getSetQueueAcl().getName());
        List<String[]> ids = new ArrayList<>();
        command.getSetQueueAcl().getIdentifiersList().forEach(
            i -> ids.add(new String[] {i.getId(), i.getStart(), i.getExpiry(), i.getPermission()}));
        checkAcl(ids);
      }
      case CREATE_QUEUE -> {
        checkAccount(command.getCreateQueue().getQueue().getAccount());
        QueueCommands.validate(command.getCreateQueue());
      }
      case DELETE_QUEUE -> {
        checkAccount(command.getDeleteQueue().getAccount());
        QueueCommands.checkQueueName(command.getDeleteQueue().getName());
      }
      case SET_QUEUE_METADATA -> {
        checkAccount(command.getSetQueueMetadata().getAccount());
        QueueCommands.checkQueueName(command.getSetQueueMetadata().getName());
        QueueCommands.checkMetadata(command.getSetQueueMetadata().getMetadataMap());
      }
      case PUT_MESSAGE -> {
        checkAccount(command.getPutMessage().getAccount());
        QueueCommands.validate(command.getPutMessage());
      }
      case GET_MESSAGES -> {
        checkAccount(command.getGetMessages().getAccount());
        QueueCommands.validate(command.getGetMessages());
      }
      case UPDATE_MESSAGE -> {
        checkAccount(command.getUpdateMessage().getAccount());
        QueueCommands.validate(command.getUpdateMessage());
      }
      case DELETE_MESSAGE -> {
        checkAccount(command.getDeleteMessage().getAccount());
        QueueCommands.validate(command.getDeleteMessage());
      }
      case CLEAR_MESSAGES -> {
        checkAccount(command.getClearMessages().getAccount());
        QueueCommands.validate(command.getClearMessages());
      }
      case LEASE_BLOB -> {
        LeaseBlob lb = command.getLeaseBlob();
        checkAccount(lb.getAccount());
        checkId("container_id", lb.getContainerId());
        checkName("blob name", lb.getName());
        Leases.validate(lb.getRequest());
      }
      case LEASE_CONTAINER -> {
        LeaseContainer lc = command.getLeaseContainer();
        checkAccount(lc.getAccount());
        checkName("container name", lc.getName());
        Leases.validate(lc.getRequest());
      }
      case SET_CONTAINER_ACL -> {
        ContainerAclUpdate u = command.getSetContainerAcl();
        checkAccount(u.getAccount());
        checkName("container name", u.getName());
        checkAcl(u);
      }
      case DEK_SWAPS -> {
        for (io.cobalt.proto.node.v1.DekSwap s : command.getDekSwaps().getSwapsList()) {
          checkAccount(s.getAccount());
          checkName("record name", s.getName());
        }
        DekCommands.validate(command.getDekSwaps());
      }
      case APPEND_BLOCK -> {
        AppendBlock a = command.getAppendBlock();
        checkAccount(a.getAccount());
        checkId("container_id", a.getContainerId());
        checkName("blob name", a.getName());
        AppendCommands.validate(a);
      }
      case SEAL_APPEND_BLOB -> {
        AppendBlobSeal s = command.getSealAppendBlob();
        checkAccount(s.getAccount());
        checkId("container_id", s.getContainerId());
        checkName("blob name", s.getName());
        AppendCommands.validate(s);
      }
      case SET_SERVICE_PROPERTIES -> {
        ServicePropertiesRecord sp = command.getSetServiceProperties().getProperties();
        checkAccount(sp.getAccount());
        checkService(sp.getAccount(), sp.getService());
        if (sp.getDocument().size() > MAX_SERVICE_PROPERTIES_BYTES) {
          throw new InvalidRequestException("service properties longer than " + MAX_SERVICE_PROPERTIES_BYTES + " bytes");
        }
      }
      case SNAPSHOT_BLOB -> {
        io.cobalt.proto.node.v1.SnapshotBlob sb = command.getSnapshotBlob();
        checkAccount(sb.getAccount());
        checkId("container_id", sb.getContainerId());
        checkName("blob name", sb.getName());
        SnapshotCommands.validate(sb);
      }
      case COMMAND_NOT_SET -> throw new InvalidRequestException("the command is empty (no operation set)");
    }
  }

  /** A known service, and an account without 0x00 (which separates it from the kind in the key). */
  private static void checkService(String account, io.cobalt.proto.node.v1.StorageServiceKind service) {
    if (service == io.cobalt.proto.node.v1.StorageServiceKind.UNRECOGNIZED) {
      throw new InvalidRequestException("unknown storage service kind");
    }
    if (account.indexOf('\u0000') >= 0) {
      throw new InvalidRequestException("account has a NUL character");
    }
  }

  /** Azure's limit: at most 10 tags per blob (ADR 0018). */
  public static final int MAX_TAGS = 10;
  /**
   * Sealed tags at most this long: 10 tags of 128-character keys and 256-character values (ASCII
   * only, by Azure's character rules), length prefixes, and the seal's overhead, rounded up.
   */
  public static final int MAX_SEALED_TAGS_BYTES = 4 * 1024;

  /** Tags are all three (sealed bytes, a 16-byte id, 1..10 as count) or none of them. */
  private static void checkTags(ByteString sealed, ByteString tagsId, int count) {
    if (Integer.compareUnsigned(count, MAX_TAGS) > 0) {
      throw new InvalidRequestException("more than " + MAX_TAGS + " tags");
    }
    if (sealed.size() > MAX_SEALED_TAGS_BYTES) {
      throw new InvalidRequestException("sealed tags longer than " + MAX_SEALED_TAGS_BYTES + " bytes");
    }
    if (sealed.isEmpty()) {
      if (count != 0 || !tagsId.isEmpty()) {
        throw new InvalidRequestException("a tag count or tags id without sealed tags");
      }
    } else {
      checkId("tags_id", tagsId);
    }
  }

  /** An account's stored service properties document (normalized XML) at most this long. */
  public static final int MAX_SERVICE_PROPERTIES_BYTES = 64 * 1024;

  /** Azure's limit on a stored access policy id (container, table or queue ACL): 1..64 characters. */
  public static final int MAX_SIGNED_IDENTIFIER_CHARS = 64;

  private static void checkAcl(ContainerAclUpdate u) {
    String level = u.getPublicAccess();
    if (!level.isEmpty() && !level.equals("blob") && !level.equals("container")) {
      throw new InvalidRequestException("public access must be empty, blob or container");
    }
    if (u.getSignedIdentifiersCount() > MAX_SIGNED_IDENTIFIERS) {
      throw new InvalidRequestException("more than " + MAX_SIGNED_IDENTIFIERS + " signed identifiers");
    }
    Set<String> ids = new HashSet<>();
    for (SignedIdentifier si : u.getSignedIdentifiersList()) {
      if (si.getId().isEmpty() || si.getId().length() > MAX_SIGNED_IDENTIFIER_CHARS || !ids.add(si.getId())) {
        throw new InvalidRequestException("signed identifiers must be distinct, 1.." + MAX_SIGNED_IDENTIFIER_CHARS
            + " characters");
      }
      for (int i = 0; i < si.getPermissions().length(); i++) {
        if ("racwdxltmeop".indexOf(si.getPermissions().charAt(i)) < 0) {
          throw new InvalidRequestException("unknown permission in a signed identifier");
        }
      }
    }
  }

  /**
   * Applies {@code command} as log entry {@code index} of its partition: writes the state change
   * and the new applied index in one atomic write (indexes may skip: a Raft log also holds entries
   * that are not commands). A command that takes no effect (ALREADY_EXISTS,
   * NOT_FOUND) still consumes its index.
   *
   * @throws InvalidRequestException if the command is malformed (nothing is written)
   * @throws IllegalStateException if {@code index} is not after the partition's applied index
   */
  public CommandResult apply(long index, MetadataCommand command) {
    validate(command);
    int partition = command.getPartition();
    long applied = appliedIndexes.get(partition);
    if (index <= applied) {
      throw new IllegalStateException(
          "index " + index + " of partition " + partition + " is not after the applied index " + applied);
    }
    if (!command.getSubmitId().isEmpty()) {
      return applyOnce(partition, index, command);
    }
    Outcome outcome = outcome(partition, index, command);
    store.commit(partition, index, outcome.change());
    appliedIndexes.set(partition, index);
    return outcome.result().setAppliedIndex(index).build();
  }

  /**
   * Applies a command that has a submit id at most once (ADR 0024): a copy of an applied command
   * (the gateway tried another voter after a timeout, and both copies reached the log) gets the
   * first copy's result and changes nothing. The ids live in the partition's state, so every
   * replica decides alike, and they are forgotten after {@link #SUBMIT_WINDOW_MILLIS}, a few per
   * apply, by the commands' own times (no clock is read here).
   */
  private CommandResult applyOnce(int partition, long index, MetadataCommand command) {
    Optional<SubmitRecord> seen = store.submit(partition, command.getSubmitId());
    if (seen.isPresent()) {
      store.commit(partition, index, StateChange.NONE);
      appliedIndexes.set(partition, index);
      return seen.get().getResult();
    }
    long millis = command.getSubmitEpochMillis();
    long newest = Math.max(store.newestSubmitMillis(partition), millis);
    if (millis < newest - SUBMIT_WINDOW_MILLIS) {
      store.commit(partition, index, StateChange.NONE);
      appliedIndexes.set(partition, index);
      return CommandResult.newBuilder().setStatus(CommandStatus.SUBMIT_EXPIRED).setAppliedIndex(index).build();
    }
    Outcome outcome = outcome(partition, index, command);
    CommandResult result = outcome.result().setAppliedIndex(index).build();
    List<StateChange> changes = new ArrayList<>();
    if (outcome.change() instanceof StateChange.Batch b) {
      changes.addAll(b.changes());
    } else {
      changes.add(outcome.change());
    }
    changes.add(new StateChange.RememberSubmit(SubmitRecord.newBuilder().setSubmitId(command.getSubmitId())
        .setSubmitEpochMillis(millis).setResult(result).build()));
    changes.addAll(store.submitsBefore(partition, newest - SUBMIT_WINDOW_MILLIS, FORGET_PER_APPLY));
    changes.addAll(expireStagedBlobs(partition, newest - stagedBlockExpiryMillis, command));
    store.commit(partition, index, new StateChange.Batch(changes));
    appliedIndexes.set(partition, index);
    return result;
  }

  /**
   * Uncommitted blocks of blobs last staged to before {@code beforeMillis} (ADR 0026): at most
   * {@link #EXPIRE_STAGED_PER_APPLY} entries of the time index, oldest first; a current entry drops
   * the blob's blocks and record, a stale one (the blob was staged to again, committed or deleted)
   * only goes. A blob the command itself stages to is left to the command (its apply step discards
   * the expired blocks before it stages the new one).
   */
  private List<StateChange> expireStagedBlobs(int partition, long beforeMillis, MetadataCommand command) {
    List<StateChange> out = new ArrayList<>();
    for (MetadataStore.StagedTime t : store.stagedTimesBefore(partition, beforeMillis, EXPIRE_STAGED_PER_APPLY)) {
      if (command.hasStageBlock() && command.getStageBlock().getName().equals(t.name())
          && command.getStageBlock().getAccount().equals(t.account())
          && command.getStageBlock().getContainerId().equals(t.containerId())) {
        continue;
      }
      if (t.current()) {
        out.add(new StateChange.DropUncommittedBlocks(t.account(), t.containerId(), t.name()));
        out.add(new StateChange.RemoveStagedBlob(t.account(), t.containerId(), t.name()));
      }
      out.add(new StateChange.ForgetStagedBlobTime(t.millis(), t.account(), t.containerId(), t.name()));
    }
    return out;
  }

  /** Whether {@code record}'s blocks have expired at {@code nowMillis} (0: no time known, never). */
  private boolean stagedExpired(StagedBlobRecord record, long nowMillis) {
    return nowMillis > 0 && record.getLastStagedEpochMillis() < nowMillis - stagedBlockExpiryMillis;
  }

  private Outcome outcome(int partition, long index, MetadataCommand command) {
    return switch (command.getCommandCase()) {
      case CREATE_CONTAINER -> createContainer(partition, command.getCreateContainer());
      case DELETE_CONTAINER -> deleteContainer(partition, command.getDeleteContainer());
      case PUT_BLOB -> putBlob(partition, command.getPutBlob());
      case DELETE_BLOB -> deleteBlob(partition, command.getDeleteBlob());
      case STAGE_BLOCK -> stageBlock(partition, command.getStageBlock());
      case COMMIT_BLOCK_LIST -> commitBlockList(partition, command.getCommitBlockList());
      case SET_BLOB_PROPERTIES -> setBlobProperties(partition, command.getSetBlobProperties());
      case SET_BLOB_TAGS -> setBlobTags(partition, command.getSetBlobTags());
      case SET_CONTAINER_METADATA -> setContainerMetadata(partition, command.getSetContainerMetadata());
      case CREATE_TABLE -> createTable(partition, command.getCreateTable());
      case DELETE_TABLE -> deleteTable(partition, command.getDeleteTable());
      case PUT_ENTITY -> putEntity(partition, command.getPutEntity());
      case DELETE_ENTITY -> deleteEntity(partition, command.getDeleteEntity());
      case ENTITY_BATCH -> entityBatch(partition, command.getEntityBatch());
      case ENTITY_BATCH_PART -> entityBatchPart(partition, command.getEntityBatchPart());
      case SET_TABLE_ACL -> setTableAcl(partition, command.getSetTableAcl());
      case PURGE_TABLE -> new Outcome(
          new StateChange.RemoveEntities(command.getPurgeTable().getAccount(), command.getPurgeTable().getTableId()),
          status(CommandStatus.OK));
      case SET_QUEUE_ACL -> setQueueAcl(partition, command.getSetQueueAcl());
      case CREATE_QUEUE -> queue(queues.createQueue(partition, command.getCreateQueue()));
      case DELETE_QUEUE -> queue(queues.deleteQueue(partition, command.getDeleteQueue()));
      case SET_QUEUE_METADATA -> queue(queues.setQueueMetadata(partition, command.getSetQueueMetadata()));
      case PUT_MESSAGE -> queue(queues.putMessage(partition, index, command.getPutMessage()));
      case GET_MESSAGES -> queue(queues.getMessages(partition, command.getGetMessages()));
      case UPDATE_MESSAGE -> queue(queues.updateMessage(partition, command.getUpdateMessage()));
      case DELETE_MESSAGE -> queue(queues.deleteMessage(partition, command.getDeleteMessage()));
      case CLEAR_MESSAGES -> queue(queues.clearMessages(partition, command.getClearMessages()));
      case LEASE_BLOB -> leaseBlob(partition, command.getLeaseBlob());
      case LEASE_CONTAINER -> leaseContainer(partition, command.getLeaseContainer());
      case SET_CONTAINER_ACL -> setContainerAcl(partition, command.getSetContainerAcl());
      case SET_SERVICE_PROPERTIES -> new Outcome(
          new StateChange.PutServiceProperties(command.getSetServiceProperties().getProperties()),
          CommandResult.newBuilder().setStatus(CommandStatus.OK));
      case SNAPSHOT_BLOB -> {
        SnapshotCommands.Outcome o = snapshots.snapshot(partition, command.getSnapshotBlob());
        yield new Outcome(o.change(), o.result());
      }
      case DEK_SWAPS -> {
        DekCommands.Outcome o = deks.swap(partition, command.getDekSwaps());
        yield new Outcome(o.change(), o.result());
      }
      case APPEND_BLOCK -> append(appends.append(partition, command.getAppendBlock()));
      case SEAL_APPEND_BLOB -> append(appends.seal(partition, command.getSealAppendBlob()));
      case COMMAND_NOT_SET -> throw new InvalidRequestException("the command is empty (no operation set)");
    };
  }

  /**
   * Writes an image of {@code partition}'s state (a Raft snapshot) as of log index {@code index},
   * which must be at or after the last applied command: the entries between carried no command.
   * First records {@code index} as applied and makes the store durable, so that a log purged up to
   * {@code index} is never needed again by this replica. The caller keeps applies out meanwhile.
   */
  public void writeImage(int partition, long index, OutputStream out) throws IOException {
    checkPartition(partition);
    long applied = appliedIndexes.get(partition);
    if (index < applied) {
      throw new IllegalArgumentException("image index " + index + " is before the applied index " + applied);
    }
    if (index > applied) {
      store.commit(partition, index, StateChange.NONE);
      appliedIndexes.set(partition, index);
    }
    store.sync();
    PartitionImage.write(out, partition, index, store.records(partition));
  }

  /**
   * Replaces {@code partition}'s whole state with an image written by {@link #writeImage} (a
   * snapshot installed from the leader, or this replica's own after its store lost commits).
   *
   * @return the log index the image is at
   * @throws IOException if the image is malformed or altered; the state is then unchanged
   */
  public long loadImage(int partition, InputStream in) throws IOException {
    checkPartition(partition);
    PartitionImage.Contents image = PartitionImage.read(in, partition);
    store.replacePartition(partition, image.appliedIndex(), image.records());
    appliedIndexes.set(partition, image.appliedIndex());
    return image.appliedIndex();
  }

  /**
   * Answers {@code query} from the partition's applied state.
   *
   * @throws InvalidRequestException if the query is malformed
   */
  public QueryResult query(MetadataQuery query) {
    int partition = query.getPartition();
    checkPartition(partition);
    QueryResult.Builder result = QueryResult.newBuilder();
    switch (query.getQueryCase()) {
      case GET_SERVICE_PROPERTIES -> {
        String account = query.getGetServiceProperties().getAccount();
        checkAccount(account);
        checkService(account, query.getGetServiceProperties().getService());
        store.serviceProperties(partition, account, query.getGetServiceProperties().getService())
            .ifPresent(result::addServiceProperties);
      }
      case GET_CONTAINER -> {
        GetContainer q = query.getGetContainer();
        checkAccount(q.getAccount());
        checkName("container name", q.getName());
        store.container(partition, q.getAccount(), q.getName()).ifPresent(result::addContainers);
      }
      case LIST_CONTAINERS -> {
        ListContainers q = query.getListContainers();
        checkAccount(q.getAccount());
        checkBounded("prefix", q.getPrefix());
        checkBounded("marker", q.getMarker());
        Page<ContainerRecord> page =
            store.containers(partition, q.getAccount(), q.getPrefix(), q.getMarker(), pageSize(q.getMaxResults()));
        result.addAllContainers(page.items()).setTruncated(page.truncated());
      }
      case GET_BLOB -> {
        GetBlob q = query.getGetBlob();
        checkAccount(q.getAccount());
        checkId("container_id", q.getContainerId());
        checkName("blob name", q.getName());
        if (q.getSnapshot().isEmpty()) {
          store.blob(partition, q.getAccount(), q.getContainerId(), q.getName()).ifPresent(result::addBlobs);
        } else {
          SnapshotCommands.checkSnapshotTime(q.getSnapshot());
          store.snapshot(partition, q.getAccount(), q.getContainerId(), q.getName(), q.getSnapshot())
              .ifPresent(result::addBlobs);
        }
      }
      case LIST_BLOBS -> {
        ListBlobs q = query.getListBlobs();
        checkAccount(q.getAccount());
        checkId("container_id", q.getContainerId());
        checkBounded("prefix", q.getPrefix());
        checkBounded("marker", q.getMarker());
        if (q.getIncludeSnapshots()) {
          snapshots.listWithSnapshots(partition, q, pageSize(q.getMaxResults()), result, (marker, n) ->
              q.getIncludeUncommitted() ? blobsAndUncommitted(partition, q, marker, n)
                  : store.blobs(partition, q.getAccount(), q.getContainerId(), q.getPrefix(), marker, n));
          break;
        }
        int limit = pageSize(q.getMaxResults());
        Page<BlobRecord> page = q.getIncludeUncommitted()
            ? blobsAndUncommitted(partition, q, q.getMarker(), limit)
            : store.blobs(partition, q.getAccount(), q.getContainerId(), q.getPrefix(), q.getMarker(), limit);
        List<BlobRecord> listed = new ArrayList<>(page.items().size());
        // A listing needs properties only: leave out the manifest (streams), wrapped keys and MAC;
        // a tagged blob keeps deks[0], the key its sealed tags open with (include=tags, Find Blobs
        // by Tags: ADR 0018).
        for (BlobRecord b : page.items()) {
          BlobRecord.Builder forListing = b.toBuilder().clearStreams().clearDeks().clearManifestMac();
          if (!b.getSealedTags().isEmpty() && b.getDeksCount() > 0) {
            forListing.addDeks(b.getDeks(0));
          }
          listed.add(forListing.build());
        }
        result.addAllBlobs(listed).setTruncated(page.truncated());
      }
      case GET_BLOCK_LIST -> {
        GetBlockList q = query.getGetBlockList();
        checkAccount(q.getAccount());
        checkId("container_id", q.getContainerId());
        checkName("blob name", q.getName());
        if (q.getBlockIdsCount() > MAX_COMMITTED_BLOCKS) {
          throw new InvalidRequestException("more than " + MAX_COMMITTED_BLOCKS + " block ids");
        }
        if (!q.getSnapshot().isEmpty()) {
          // A snapshot is a copy of a committed version (ADR 0022): its block list, no uncommitted blocks.
          SnapshotCommands.checkSnapshotTime(q.getSnapshot());
          store.snapshot(partition, q.getAccount(), q.getContainerId(), q.getName(), q.getSnapshot())
              .map(b -> q.getSizesOnly() ? sizesOnly(b) : b).ifPresent(result::addBlobs);
          break;
        }
        Optional<BlobRecord> blob = store.blob(partition, q.getAccount(), q.getContainerId(), q.getName());
        blob.map(b -> q.getSizesOnly() ? sizesOnly(b) : b).ifPresent(result::addBlobs);
        if (q.getBlockIdsCount() == 0) {
          for (UncommittedBlock u : store.uncommittedBlocks(
              partition, q.getAccount(), q.getContainerId(), q.getName(), MAX_UNCOMMITTED_BLOCKS)) {
            result.addUncommittedBlocks(q.getSizesOnly() ? sizesOnly(u) : u);
          }
        } else {
          Set<ByteString> seen = new HashSet<>();
          for (ByteString id : q.getBlockIdsList()) {
            if (seen.add(id)) {
              store.uncommittedBlock(partition, q.getAccount(), q.getContainerId(), q.getName(), id)
                  .map(u -> q.getSizesOnly() ? sizesOnly(u) : u)
                  .ifPresent(result::addUncommittedBlocks);
            }
          }
        }
      }
      case GET_TABLE -> {
        GetTable q = query.getGetTable();
        checkAccount(q.getAccount());
        checkTableName(q.getName());
        store.table(partition, q.getAccount(), q.getName()).ifPresent(result::addTables);
      }
      case LIST_TABLES -> {
        ListTables q = query.getListTables();
        checkAccount(q.getAccount());
        checkBounded("prefix", q.getPrefix());
        checkBounded("marker", q.getMarker());
        Page<TableRecord> page = store.tables(partition, q.getAccount(), q.getPrefix().toLowerCase(Locale.ROOT),
            q.getMarker().toLowerCase(Locale.ROOT), pageSize(q.getMaxResults()));
        // A listing needs names only: leave out the wrapped keys.
        page.items().forEach(t -> result.addTables(t.toBuilder().clearDek()));
        result.setTruncated(page.truncated());
      }
      case GET_ENTITY -> {
        GetEntity q = query.getGetEntity();
        checkAccount(q.getAccount());
        checkId("table_id", q.getTableId());
        checkKey("PartitionKey", q.getPartitionKey());
        checkKey("RowKey", q.getRowKey());
        store.entity(partition, q.getAccount(), q.getTableId(), q.getPartitionKey(), q.getRowKey())
            .ifPresent(result::addEntities);
      }
      case SCAN_ENTITIES -> {
        ScanEntities q = query.getScanEntities();
        checkAccount(q.getAccount());
        checkId("table_id", q.getTableId());
        checkKeyBound(q.getFromPartitionKey());
        checkKeyBound(q.getFromRowKey());
        checkKeyBound(q.getToPartitionKey());
        int limit = q.getMaxResults() <= 0 || q.getMaxResults() > MAX_SCAN_RESULTS ? MAX_SCAN_RESULTS : q.getMaxResults();
        Page<EntityRecord> page = store.entities(partition, q.getAccount(), q.getTableId(), q.getFromPartitionKey(),
            q.getFromRowKey(), q.getHasToPartitionKey() ? q.getToPartitionKey() : null, limit);
        result.addAllEntities(page.items()).setTruncated(page.truncated());
      }
      case GET_QUEUE -> {
        checkAccount(query.getGetQueue().getAccount());
        queues.getQueue(partition, query.getGetQueue(), result);
      }
      case LIST_QUEUES -> {
        ListQueues q = query.getListQueues();
        checkAccount(q.getAccount());
        checkBounded("prefix", q.getPrefix());
        checkBounded("marker", q.getMarker());
        queues.listQueues(partition, q, pageSize(q.getMaxResults()), result);
      }
      case PEEK_MESSAGES -> {
        checkAccount(query.getPeekMessages().getAccount());
        queues.peekMessages(partition, query.getPeekMessages(), result);
      }
      case DEK_SCAN -> deks.scan(partition, query.getDekScan(), result);
      case CHUNK_MANIFEST_SCAN -> {
        io.cobalt.proto.node.v1.ChunkManifestScan q = query.getChunkManifestScan();
        if (q.getMaxRecords() < 1 || q.getMaxRecords() > MAX_CHUNK_QUERY_IDS) {
          throw new InvalidRequestException("max_records must be in [1, " + MAX_CHUNK_QUERY_IDS + "]");
        }
        ChunkRefPage page;
        try {
          page = store.chunkRefs(partition, q.getCursor().toByteArray(), q.getMaxRecords());
        } catch (IllegalArgumentException e) {
          throw new InvalidRequestException(e.getMessage());
        }
        result.addAllChunkRefs(page.refs()).setChunkScanCursor(ByteString.copyFrom(page.next()));
      }
      case CHUNK_REFERENCES -> result.addAllReferencedChunkIds(referencedChunks(partition,
          query.getChunkReferences().getChunkIdsList()));
      case QUERY_NOT_SET -> throw new InvalidRequestException("the query is empty (no operation set)");
    }
    return result.build();
  }

  /** Most chunk ids (or manifest records) one chunk-healing query may carry (ADR 0010). */
  static final int MAX_CHUNK_QUERY_IDS = 1024;

  /**
   * Which of {@code ids} a committed manifest or a staged block of the partition references: one
   * walk over the partition's manifests (ADR 0010 explains why there is no persistent index yet).
   */
  private List<ByteString> referencedChunks(int partition, List<ByteString> ids) {
    if (ids.size() > MAX_CHUNK_QUERY_IDS) {
      throw new InvalidRequestException("more than " + MAX_CHUNK_QUERY_IDS + " chunk ids");
    }
    Set<ByteString> asked = new HashSet<>();
    for (ByteString id : ids) {
      if (id.size() != 32) {
        throw new InvalidRequestException("a chunk id must be 32 bytes");
      }
      asked.add(id);
    }
    Set<ByteString> found = new java.util.LinkedHashSet<>();
    byte[] cursor = new byte[0];
    do {
      ChunkRefPage page = store.chunkRefs(partition, cursor, MAX_CHUNK_QUERY_IDS);
      for (io.cobalt.proto.node.v1.ChunkRef r : page.refs()) {
        if (asked.contains(r.getChunkId())) {
          found.add(r.getChunkId());
        }
      }
      cursor = page.next();
    } while (cursor.length > 0 && found.size() < asked.size());
    return List.copyOf(found);
  }

  private record Outcome(StateChange change, CommandResult.Builder result) {}

  private static Outcome queue(QueueCommands.Outcome o) {
    return new Outcome(o.change(), o.result());
  }

  private static Outcome append(AppendCommands.Outcome o) {
    return new Outcome(o.change(), o.result());
  }

  private Outcome createContainer(int partition, CreateContainer cmd) {
    ContainerRecord c = cmd.getContainer();
    if (store.container(partition, c.getAccount(), c.getName()).isPresent()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.ALREADY_EXISTS));
    }
    return new Outcome(new StateChange.PutContainer(c), status(CommandStatus.OK).setContainer(c));
  }

  private Outcome deleteContainer(int partition, DeleteContainer cmd) {
    Optional<ContainerRecord> previous = store.container(partition, cmd.getAccount(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    CommandStatus refused = containerCondition(cmd.getCondition(), previous.get(), true);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    // The container's blobs stay where they are (possibly in other partitions) for a later garbage
    // collector. They are unreachable: blobs are keyed by container_id, and a container created
    // again under the same name gets a new random container_id.
    return new Outcome(new StateChange.RemoveContainer(cmd.getAccount(), cmd.getName()),
        status(CommandStatus.OK).setContainer(previous.get()));
  }

  private Outcome putBlob(int partition, PutBlob cmd) {
    BlobRecord b = cmd.getBlob();
    Optional<BlobRecord> previous = store.blob(partition, b.getAccount(), b.getContainerId(), b.getName());
    CommandStatus refused = blobCondition(cmd.getCondition(), previous);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    CommandResult.Builder result = status(CommandStatus.OK);
    previous.ifPresent(result::setBlob);
    return new Outcome(new StateChange.PutBlob(keepLease(b, previous)), result);
  }

  private Outcome deleteBlob(int partition, DeleteBlob cmd) {
    if (!cmd.getSnapshot().isEmpty()) {
      SnapshotCommands.Outcome o = snapshots.deleteSnapshot(partition, cmd);
      return new Outcome(o.change(), o.result());
    }
    Optional<BlobRecord> previous = store.blob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    CommandStatus refused = blobCondition(cmd.getCondition(), previous);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    StateChange change = snapshots.deleteBase(partition, cmd);
    if (change == null) {
      return new Outcome(StateChange.NONE, status(CommandStatus.SNAPSHOTS_PRESENT));
    }
    return new Outcome(change, status(CommandStatus.OK).setBlob(previous.get()));
  }

  private Outcome stageBlock(int partition, StageBlock cmd) {
    UncommittedBlock block = cmd.getBlock();
    int idLength = block.getBlockId().size();
    Optional<BlobRecord> blob = store.blob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    if (blob.isPresent() && AppendCommands.APPEND_BLOB.equals(blob.get().getBlobType())) {
      return new Outcome(StateChange.NONE, status(CommandStatus.INVALID_BLOB_TYPE));
    }
    if (cmd.hasCondition()) {
      // The lease as of this apply step (ADR 0015), like Put Blob's: one acquired after the
      // gateway's own check wins. Put Block has no other conditions.
      CommandStatus refused = blobCondition(cmd.getCondition(), blob);
      if (refused != null) {
        return new Outcome(StateChange.NONE, status(refused));
      }
    }
    if (blob.isPresent()) {
      for (StreamRef st : blob.get().getStreamsList()) {
        if (!st.getBlockId().isEmpty() && st.getBlockId().size() != idLength) {
          return new Outcome(StateChange.NONE, status(CommandStatus.INVALID_BLOCK_ID));
        }
      }
    }
    // The blob's uncommitted blocks, unless they expired (ADR 0026): then they go first.
    long now = block.getStagedEpochMillis();
    Optional<StagedBlobRecord> record = store.stagedBlob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    boolean expired = record.isPresent() && stagedExpired(record.get(), now);
    List<StateChange> changes = new ArrayList<>();
    if (expired) {
      changes.add(new StateChange.DropUncommittedBlocks(cmd.getAccount(), cmd.getContainerId(), cmd.getName()));
    }
    StagedBlobRecord.Builder next = StagedBlobRecord.newBuilder().setAccount(cmd.getAccount())
        .setContainerId(cmd.getContainerId()).setName(cmd.getName())
        .setFirstStagedEpochMillis(now).setLastStagedEpochMillis(now);
    if (record.isPresent()) {
      changes.add(new StateChange.ForgetStagedBlobTime(record.get().getLastStagedEpochMillis(), cmd.getAccount(),
          cmd.getContainerId(), cmd.getName()));
      if (!expired) {
        next.setFirstStagedEpochMillis(record.get().getFirstStagedEpochMillis())
            .setLastStagedEpochMillis(Math.max(now, record.get().getLastStagedEpochMillis()));
      }
    }
    boolean replaces = !expired && store.uncommittedBlock(
        partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName(), block.getBlockId()).isPresent();
    if (!replaces && !expired) {
      List<UncommittedBlock> first = store.uncommittedBlocks(
          partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName(), 1);
      if (!first.isEmpty() && first.get(0).getBlockId().size() != idLength) {
        return new Outcome(StateChange.NONE, status(CommandStatus.INVALID_BLOCK_ID));
      }
      // The count is in the staged-blob record; blocks staged before records existed are counted once.
      long count = record.isPresent() ? record.get().getBlockCount() : first.isEmpty() ? 0
          : store.uncommittedBlocks(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName(),
              MAX_UNCOMMITTED_BLOCKS).size();
      if (count >= MAX_UNCOMMITTED_BLOCKS) {
        return new Outcome(StateChange.NONE, status(CommandStatus.BLOCK_COUNT_EXCEEDS_LIMIT));
      }
      next.setBlockCount((int) count + 1);
    } else if (replaces) {
      next.setBlockCount(record.isPresent() ? record.get().getBlockCount()
          : store.uncommittedBlocks(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName(),
              MAX_UNCOMMITTED_BLOCKS).size());
    } else {
      next.setBlockCount(1); // the first after the expired ones
    }
    changes.add(new StateChange.StageBlock(cmd.getAccount(), cmd.getContainerId(), cmd.getName(), block));
    changes.add(new StateChange.PutStagedBlob(next.build()));
    return new Outcome(new StateChange.Batch(changes), status(CommandStatus.OK));
  }

  /**
   * Each stream of the new version must be, as the gateway read it, an uncommitted block of the
   * blob or a block of its current version (same stream, same wrapped DEK); a block re-staged or
   * committed away in between makes the list INVALID_BLOCK_LIST, and the gateway may resolve again.
   */
  private Outcome commitBlockList(int partition, CommitBlockList cmd) {
    BlobRecord b = cmd.getBlob();
    Optional<BlobRecord> previous = store.blob(partition, b.getAccount(), b.getContainerId(), b.getName());
    CommandStatus refused = blobCondition(cmd.getCondition(), previous);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    if (previous.isPresent() && AppendCommands.APPEND_BLOB.equals(previous.get().getBlobType())) {
      return new Outcome(StateChange.NONE, status(CommandStatus.INVALID_BLOB_TYPE));
    }
    Map<ByteString, StreamRef> committed = new HashMap<>();
    if (previous.isPresent()) {
      for (StreamRef st : previous.get().getStreamsList()) {
        if (!st.getBlockId().isEmpty()) {
          committed.put(st.getBlockId(), st);
        }
      }
    }
    // Uncommitted blocks that expired (ADR 0026) cannot be committed, swept or not.
    Optional<StagedBlobRecord> record = store.stagedBlob(partition, b.getAccount(), b.getContainerId(), b.getName());
    boolean expired = record.isPresent() && stagedExpired(record.get(), cmd.getCondition().getNowEpochMillis());
    for (StreamRef st : b.getStreamsList()) {
      WrappedKey dek = b.getDeks(st.getDekIndex());
      Optional<UncommittedBlock> staged = expired ? Optional.empty() : store.uncommittedBlock(
          partition, b.getAccount(), b.getContainerId(), b.getName(), st.getBlockId());
      boolean fromStaged = staged.isPresent()
          && sameStream(staged.get().getStream(), st) && staged.get().getDek().equals(dek);
      StreamRef old = committed.get(st.getBlockId());
      boolean fromCommitted = old != null
          && sameStream(old, st) && previous.get().getDeks(old.getDekIndex()).equals(dek);
      if (!fromStaged && !fromCommitted) {
        return new Outcome(StateChange.NONE, status(CommandStatus.INVALID_BLOCK_LIST));
      }
    }
    CommandResult.Builder result = status(CommandStatus.OK);
    previous.ifPresent(result::setBlob);
    return new Outcome(new StateChange.PutBlob(keepLease(b, previous)), result);
  }

  private static boolean sameStream(StreamRef a, StreamRef b) {
    return a.toBuilder().setDekIndex(0).build().equals(b.toBuilder().setDekIndex(0).build());
  }

  private Outcome setBlobProperties(int partition, SetBlobProperties cmd) {
    Optional<BlobRecord> previous = store.blob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    CommandStatus refused = blobCondition(cmd.getCondition(), previous);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    BlobRecord.Builder b = previous.get().toBuilder()
        .setEtag(cmd.getEtag())
        .setLastModifiedEpochMillis(cmd.getLastModifiedEpochMillis());
    if (cmd.getSetContentHeaders()) {
      b.setContentType(cmd.getContentType())
          .setContentMd5(cmd.getContentMd5())
          .setContentEncoding(cmd.getContentEncoding())
          .setContentLanguage(cmd.getContentLanguage())
          .setContentDisposition(cmd.getContentDisposition())
          .setCacheControl(cmd.getCacheControl());
      // Set Blob Properties ends the record of a concluded copy, as in Azure (ADR 0019).
      b.clearCopyId().clearCopySource().clearCopyStatus().clearCopyCompletionEpochMillis().clearCopyBytes();
    }
    if (cmd.getSetMetadata()) {
      b.clearMetadata().putAllMetadata(cmd.getMetadataMap());
    }
    BlobRecord updated = b.build();
    return new Outcome(new StateChange.UpdateBlob(updated), status(CommandStatus.OK).setBlob(updated));
  }

  /**
   * Set Blob Tags (ADR 0018): the blob's current version must be the one the tags were sealed for
   * (else TAGS_CHANGED: it was overwritten since the gateway read it, and the gateway seals again);
   * the lease and x-ms-if-tags conditions as for any blob write. The ETag and last-modified time
   * stay as they are, as in Azure.
   */
  private Outcome setBlobTags(int partition, io.cobalt.proto.node.v1.SetBlobTags cmd) {
    Optional<BlobRecord> previous = store.blob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    CommandStatus refused = blobCondition(cmd.getCondition(), previous);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    if (!previous.get().getVersionId().equals(cmd.getVersionId())) {
      return new Outcome(StateChange.NONE, status(CommandStatus.TAGS_CHANGED));
    }
    BlobRecord.Builder updated = previous.get().toBuilder()
        .setSealedTags(cmd.getSealedTags())
        .setTagsId(cmd.getTagsId())
        .setTagCount(cmd.getTagCount());
    if (cmd.hasTagsDek()) {
      updated.setTagsDek(cmd.getTagsDek());
    } else {
      updated.clearTagsDek();
    }
    BlobRecord done = updated.build();
    return new Outcome(new StateChange.UpdateBlob(done), status(CommandStatus.OK).setBlob(done));
  }

  private Outcome setContainerMetadata(int partition, SetContainerMetadata cmd) {
    Optional<ContainerRecord> previous = store.container(partition, cmd.getAccount(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    CommandStatus refused = containerCondition(cmd.getCondition(), previous.get(), false);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    ContainerRecord updated = previous.get().toBuilder()
        .clearMetadata()
        .putAllMetadata(cmd.getMetadataMap())
        .setEtag(cmd.getEtag())
        .setLastModifiedEpochMillis(cmd.getLastModifiedEpochMillis())
        .build();
    return new Outcome(new StateChange.PutContainer(updated), status(CommandStatus.OK).setContainer(updated));
  }

  /** The request's conditions, then its lease id (ETag/date failures come first, as in Azure). */
  private static CommandStatus blobCondition(Condition c, Optional<BlobRecord> current) {
    CommandStatus refused = Conditions.check(c, current);
    if (refused != null) {
      return refused;
    }
    if (current.isEmpty()) {
      return c.hasLeaseId() ? CommandStatus.LEASE_NOT_PRESENT : null;
    }
    return Leases.checkWrite(c, current.get().hasLease(), current.get().getLease(), true);
  }

  private static CommandStatus containerCondition(Condition c, ContainerRecord current, boolean leaseRequired) {
    CommandStatus refused = Conditions.check(c, current.getEtag(), current.getLastModifiedEpochMillis());
    if (refused != null) {
      return refused;
    }
    return Leases.checkWrite(c, current.hasLease(), current.getLease(), leaseRequired);
  }

  /** A new version of a blob keeps the blob's lease (its holder wrote it, or it is not active). */
  private static BlobRecord keepLease(BlobRecord b, Optional<BlobRecord> previous) {
    if (previous.isPresent() && previous.get().hasLease()) {
      return b.toBuilder().setLease(previous.get().getLease()).build();
    }
    return b.hasLease() ? b.toBuilder().clearLease().build() : b;
  }

  private Outcome leaseBlob(int partition, LeaseBlob cmd) {
    Optional<BlobRecord> previous = store.blob(partition, cmd.getAccount(), cmd.getContainerId(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    CommandStatus refused = Conditions.check(cmd.getRequest().getCondition(), previous);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    BlobRecord b = previous.get();
    Leases.Outcome o = Leases.apply(b.hasLease(), b.getLease(), cmd.getRequest());
    if (o.refused() != null) {
      return new Outcome(StateChange.NONE, status(o.refused()));
    }
    BlobRecord updated = o.lease() == null ? b.toBuilder().clearLease().build() : b.toBuilder().setLease(o.lease()).build();
    return new Outcome(new StateChange.UpdateBlob(updated),
        status(CommandStatus.OK).setBlob(updated).setLeaseTimeSeconds(o.leaseTimeSeconds()));
  }

  private Outcome leaseContainer(int partition, LeaseContainer cmd) {
    Optional<ContainerRecord> previous = store.container(partition, cmd.getAccount(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    ContainerRecord c = previous.get();
    CommandStatus refused = Conditions.check(cmd.getRequest().getCondition(), c.getEtag(), c.getLastModifiedEpochMillis());
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    Leases.Outcome o = Leases.apply(c.hasLease(), c.getLease(), cmd.getRequest());
    if (o.refused() != null) {
      return new Outcome(StateChange.NONE, status(o.refused()));
    }
    ContainerRecord updated = o.lease() == null ? c.toBuilder().clearLease().build() : c.toBuilder().setLease(o.lease()).build();
    return new Outcome(new StateChange.PutContainer(updated),
        status(CommandStatus.OK).setContainer(updated).setLeaseTimeSeconds(o.leaseTimeSeconds()));
  }

  private Outcome setContainerAcl(int partition, ContainerAclUpdate cmd) {
    Optional<ContainerRecord> previous = store.container(partition, cmd.getAccount(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    CommandStatus refused = containerCondition(cmd.getCondition(), previous.get(), false);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    ContainerRecord updated = previous.get().toBuilder()
        .setPublicAccess(cmd.getPublicAccess())
        .clearSignedIdentifiers()
        .addAllSignedIdentifiers(cmd.getSignedIdentifiersList())
        .setEtag(cmd.getEtag())
        .setLastModifiedEpochMillis(cmd.getLastModifiedEpochMillis())
        .build();
    return new Outcome(new StateChange.PutContainer(updated), status(CommandStatus.OK).setContainer(updated));
  }

  private Outcome createTable(int partition, CreateTable cmd) {
    TableRecord t = cmd.getTable();
    Optional<TableRecord> existing = store.table(partition, t.getAccount(), t.getName());
    if (existing.isPresent()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.ALREADY_EXISTS).setTable(existing.get()));
    }
    return new Outcome(new StateChange.PutTable(t), status(CommandStatus.OK).setTable(t));
  }

  private Outcome deleteTable(int partition, DeleteTable cmd) {
    Optional<TableRecord> previous = store.table(partition, cmd.getAccount(), cmd.getName());
    if (previous.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    // The table's entities in this partition go now; those in other partitions (entities are
    // placed by PartitionKey) go with the PurgeTable commands the gateway sends them next.
    return new Outcome(new StateChange.RemoveTable(cmd.getAccount(), cmd.getName(), previous.get().getTableId()),
        status(CommandStatus.OK).setTable(previous.get()));
  }

  /**
   * Evaluated here, at apply, so that concurrent writers of one entity are ordered: If-None-Match
   * "*" on an existing entity is ALREADY_EXISTS; If-Match on a missing one is NOT_FOUND (Azure
   * answers 404 to an update of a missing entity), on a different ETag CONDITION_NOT_MET.
   */
  private Outcome putEntity(int partition, PutEntity cmd) {
    EntityRecord e = cmd.getEntity();
    Optional<EntityRecord> previous =
        store.entity(partition, e.getAccount(), e.getTableId(), e.getPartitionKey(), e.getRowKey());
    CommandStatus refused = entityCondition(cmd.getCondition(), previous);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    return new Outcome(new StateChange.PutEntity(e), status(CommandStatus.OK).setEntity(e));
  }

  private Outcome deleteEntity(int partition, DeleteEntity cmd) {
    Optional<EntityRecord> previous =
        store.entity(partition, cmd.getAccount(), cmd.getTableId(), cmd.getPartitionKey(), cmd.getRowKey());
    CommandStatus refused = entityCondition(cmd.getCondition(), previous);
    if (refused != null) {
      return new Outcome(StateChange.NONE, status(refused));
    }
    return new Outcome(
        new StateChange.RemoveEntity(cmd.getAccount(), cmd.getTableId(), cmd.getPartitionKey(), cmd.getRowKey()),
        status(CommandStatus.OK).setEntity(previous.get()));
  }

  private static void validatePutEntity(PutEntity pe) {
    if (!pe.hasEntity()) {
      throw new InvalidRequestException("put_entity.entity is required");
    }
    EntityRecord e = pe.getEntity();
    checkAccount(e.getAccount());
    checkId("table_id", e.getTableId());
    checkKey("PartitionKey", e.getPartitionKey());
    checkKey("RowKey", e.getRowKey());
    if (e.getEtag().isEmpty()) {
      throw new InvalidRequestException("entity etag is required");
    }
    if (e.getProperties().size() > MAX_SEALED_PROPERTIES_BYTES) {
      throw new InvalidRequestException("sealed properties exceed " + MAX_SEALED_PROPERTIES_BYTES + " bytes");
    }
    checkEntityCondition(pe.getCondition(), false);
  }

  private static void validateDeleteEntity(DeleteEntity d) {
    checkAccount(d.getAccount());
    checkId("table_id", d.getTableId());
    checkKey("PartitionKey", d.getPartitionKey());
    checkKey("RowKey", d.getRowKey());
    checkEntityCondition(d.getCondition(), true);
  }

  /**
   * An entity-group transaction: 1..{@link #MAX_BATCH_OPERATIONS} puts and deletes, all of one
   * account, table and PartitionKey, no RowKey twice, at most {@link #MAX_BATCH_SEALED_BYTES} of
   * sealed properties in all.
   */
  private static void validateEntityBatch(EntityBatch batch) {
    if (batch.getStagedParts() == 0) {
      validateEntityOperations(batch.getOperationsList(), 1);
      return;
    }
    checkId("staged_batch_id", batch.getStagedBatchId());
    if (batch.getStagedEpochMillis() <= 0 || batch.getStagedParts() > MAX_BATCH_PARTS) {
      throw new InvalidRequestException("a staged entity batch has 1.." + MAX_BATCH_PARTS + " parts and a time");
    }
    validateEntityOperations(batch.getOperationsList(), 0);
  }

  /** One staged part of a large entity-group transaction (ADR 0025). */
  private static void validateEntityBatchPart(EntityBatchPart part) {
    checkId("batch_id", part.getBatchId());
    if (part.getStagedEpochMillis() <= 0 || Integer.compareUnsigned(part.getIndex(), MAX_BATCH_PARTS) >= 0) {
      throw new InvalidRequestException("an entity batch part has an index below " + MAX_BATCH_PARTS + " and a time");
    }
    validateEntityOperations(part.getOperationsList(), 1);
  }

  /**
   * {@code min}..{@link #MAX_BATCH_OPERATIONS} operations, all of one account, table and
   * PartitionKey, no RowKey twice, at most {@link #MAX_BATCH_SEALED_BYTES} of sealed properties.
   */
  private static void validateEntityOperations(List<EntityBatchOperation> ops, int min) {
    int n = ops.size();
    if (n < min || n > MAX_BATCH_OPERATIONS) {
      throw new InvalidRequestException("an entity batch holds " + min + ".." + MAX_BATCH_OPERATIONS
          + " operations, got " + n);
    }
    String account = null;
    ByteString tableId = null;
    String partitionKey = null;
    Set<String> rowKeys = new HashSet<>();
    long sealed = 0;
    for (EntityBatchOperation op : ops) {
      String a;
      ByteString t;
      String pk;
      String rk;
      switch (op.getOperationCase()) {
        case PUT -> {
          validatePutEntity(op.getPut());
          EntityRecord e = op.getPut().getEntity();
          a = e.getAccount();
          t = e.getTableId();
          pk = e.getPartitionKey();
          rk = e.getRowKey();
          sealed += e.getProperties().size();
        }
        case DELETE -> {
          DeleteEntity d = op.getDelete();
          validateDeleteEntity(d);
          a = d.getAccount();
          t = d.getTableId();
          pk = d.getPartitionKey();
          rk = d.getRowKey();
        }
        default -> throw new InvalidRequestException("an entity batch operation is empty");
      }
      if (account == null) {
        account = a;
        tableId = t;
        partitionKey = pk;
      } else if (!account.equals(a) || !tableId.equals(t) || !partitionKey.equals(pk)) {
        throw new InvalidRequestException("an entity batch acts on one account, table and PartitionKey");
      }
      if (!rowKeys.add(rk)) {
        throw new InvalidRequestException("an entity batch names a RowKey twice");
      }
    }
    if (sealed > MAX_BATCH_SEALED_BYTES) {
      throw new InvalidRequestException("an entity batch's sealed properties exceed " + MAX_BATCH_SEALED_BYTES + " bytes");
    }
  }

  /**
   * Applies an entity-group transaction all or nothing: every operation's condition is evaluated
   * against the stored state first (RowKeys are distinct, so no operation sees another's effect);
   * the first refused one is the outcome, with its index, and nothing is written. Otherwise every
   * write goes into one state change, committed in one atomic store write.
   */
  private Outcome entityBatch(int partition, EntityBatch batch) {
    if (batch.getStagedParts() == 0) {
      return entityOperations(partition, batch.getOperationsList());
    }
    // A transaction staged in parts (ADR 0025): the parts' operations, in order, then the inline
    // ones; the parts go in the same write whatever the outcome.
    List<EntityBatchOperation> ops = new ArrayList<>();
    List<StateChange> cleanup = new ArrayList<>();
    boolean missing = false;
    for (int i = 0; i < batch.getStagedParts(); i++) {
      Optional<EntityBatchPart> part =
          store.batchPart(partition, batch.getStagedEpochMillis(), batch.getStagedBatchId(), i);
      if (part.isEmpty()) {
        missing = true;
        continue;
      }
      ops.addAll(part.get().getOperationsList());
      cleanup.add(new StateChange.RemoveBatchPart(batch.getStagedEpochMillis(), batch.getStagedBatchId(), i));
    }
    if (missing) {
      return new Outcome(new StateChange.Batch(cleanup), status(CommandStatus.BATCH_PARTS_MISSING));
    }
    ops.addAll(batch.getOperationsList());
    validateEntityOperations(ops, 1);
    Outcome o = entityOperations(partition, ops);
    List<StateChange> changes = new ArrayList<>(cleanup);
    changes.add(0, o.change());
    return new Outcome(new StateChange.Batch(changes), o.result());
  }

  /** Stages a part of a large entity-group transaction, and drops parts left behind (ADR 0025). */
  private Outcome entityBatchPart(int partition, EntityBatchPart part) {
    List<StateChange> changes = new ArrayList<>();
    changes.add(new StateChange.PutBatchPart(part));
    changes.addAll(store.batchPartsBefore(partition, part.getStagedEpochMillis() - SUBMIT_WINDOW_MILLIS,
        FORGET_PER_APPLY));
    return new Outcome(new StateChange.Batch(changes), status(CommandStatus.OK));
  }

  private Outcome entityOperations(int partition, List<EntityBatchOperation> operations) {
    List<StateChange> changes = new ArrayList<>(operations.size());
    EntityBatchOutcome.Builder outcome = EntityBatchOutcome.newBuilder();
    for (int i = 0; i < operations.size(); i++) {
      EntityBatchOperation op = operations.get(i);
      Outcome one = op.hasPut() ? putEntity(partition, op.getPut()) : deleteEntity(partition, op.getDelete());
      if (one.result().getStatus() != CommandStatus.OK) {
        return new Outcome(StateChange.NONE, status(one.result().getStatus())
            .setEntityBatch(EntityBatchOutcome.newBuilder().setFailedIndex(i)));
      }
      changes.add(one.change());
      // Keys, ETag and timestamp only: the gateway has the properties, and echoing them would make
      // the answer to a batch of the most sealed bytes larger than a gRPC client accepts.
      outcome.addEntities(one.result().getEntity().toBuilder().clearProperties());
    }
    return new Outcome(new StateChange.Entities(changes), status(CommandStatus.OK).setEntityBatch(outcome));
  }

  /** At most 5 stored access policies, ids 1..64 characters and distinct, fields bounded. */
  private static void checkAcl(List<String[]> identifiers) {
    if (identifiers.size() > MAX_SIGNED_IDENTIFIERS) {
      throw new InvalidRequestException("at most " + MAX_SIGNED_IDENTIFIERS + " signed identifiers");
    }
    Set<String> ids = new HashSet<>();
    for (String[] i : identifiers) {
      if (i[0].isEmpty() || i[0].length() > 64 || !ids.add(i[0])) {
        throw new InvalidRequestException("signed identifier ids are 1..64 characters and distinct");
      }
      for (int f = 1; f < i.length; f++) {
        if (i[f].length() > 64) {
          throw new InvalidRequestException("access policy fields are at most 64 characters");
        }
      }
    }
  }

  private Outcome setTableAcl(int partition, TableAclSet cmd) {
    Optional<TableRecord> table = store.table(partition, cmd.getAccount(), cmd.getName());
    if (table.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    TableRecord updated = table.get().toBuilder().clearAcl().addAllAcl(cmd.getIdentifiersList()).build();
    return new Outcome(new StateChange.PutTable(updated), status(CommandStatus.OK));
  }

  private Outcome setQueueAcl(int partition, QueueAclSet cmd) {
    Optional<QueueRecord> queue = store.queue(partition, cmd.getAccount(), cmd.getName());
    if (queue.isEmpty()) {
      return new Outcome(StateChange.NONE, status(CommandStatus.NOT_FOUND));
    }
    QueueRecord updated = queue.get().toBuilder().clearAcl().addAllAcl(cmd.getIdentifiersList()).build();
    return new Outcome(new StateChange.PutQueue(updated), status(CommandStatus.OK));
  }

  private static CommandStatus entityCondition(Condition c, Optional<EntityRecord> current) {
    if (current.isEmpty()) {
      return c.hasIfMatch() ? CommandStatus.NOT_FOUND : null;
    }
    if (c.hasIfNoneMatch()) {
      return CommandStatus.ALREADY_EXISTS;
    }
    if (c.hasIfMatch() && !Conditions.matches(c.getIfMatch(), current.get().getEtag())) {
      return CommandStatus.CONDITION_NOT_MET;
    }
    return null;
  }

  private static void checkEntityCondition(Condition c, boolean ifMatchRequired) {
    if (c.hasIfModifiedSinceMillis() || c.hasIfUnmodifiedSinceMillis()) {
      throw new InvalidRequestException("entity conditions take If-Match or If-None-Match only");
    }
    if (c.hasIfNoneMatch() && !c.getIfNoneMatch().equals("*")) {
      throw new InvalidRequestException("an entity's If-None-Match can only be *");
    }
    if (c.hasIfNoneMatch() && c.hasIfMatch()) {
      throw new InvalidRequestException("If-Match and If-None-Match together");
    }
    if (ifMatchRequired && !c.hasIfMatch()) {
      throw new InvalidRequestException("If-Match is required");
    }
    if (c.hasIfMatch() && c.getIfMatch().isEmpty()) {
      throw new InvalidRequestException("If-Match is empty");
    }
  }

  private static void checkTableName(String name) {
    if (!TABLE_NAME.matcher(name).matches() || name.equalsIgnoreCase("tables")) {
      throw new InvalidRequestException("invalid table name");
    }
  }

  /** Azure's key rules: at most 1 KiB of UTF-16, none of / \\ # ? or control characters (so never U+0000). */
  private static void checkKey(String what, String key) {
    if (key.length() > MAX_KEY_CHARS) {
      throw new InvalidRequestException(what + " is longer than " + MAX_KEY_CHARS + " characters");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '/' || c == '\\' || c == '#' || c == '?' || c <= 0x1F || (c >= 0x7F && c <= 0x9F)) {
        throw new InvalidRequestException(what + " holds a character Azure forbids in keys");
      }
    }
  }

  /** A scan bound: any key, or a prefix of one; never U+0000 (it would break the key order). */
  private static void checkKeyBound(String key) {
    if (key.length() > MAX_KEY_CHARS || key.indexOf('\0') >= 0) {
      throw new InvalidRequestException("scan bound is not a valid key");
    }
  }

  private static final java.util.Comparator<String> UTF8_ORDER = (a, b) -> ByteString.unsignedLexicographicalComparator()
      .compare(ByteString.copyFromUtf8(a), ByteString.copyFromUtf8(b));

  /**
   * List Blobs with include=uncommittedblobs (ADR 0026): the committed blob records after
   * {@code marker} and the blobs that have only uncommitted blocks, in name order, at most
   * {@code limit}. An uncommitted blob is listed as a block blob of length 0, created when its
   * first block was staged and modified when its last one was, with no ETag (it has no version).
   * Both sources are read up to {@code limit} names; nothing past the smaller last name of a source
   * that had more is listed (that source may hold names before the other's).
   */
  private Page<BlobRecord> blobsAndUncommitted(int partition, ListBlobs q, String marker, int limit) {
    Page<BlobRecord> page = store.blobs(partition, q.getAccount(), q.getContainerId(), q.getPrefix(), marker, limit);
    Page<StagedBlobRecord> staged = store.stagedBlobs(
        partition, q.getAccount(), q.getContainerId(), q.getPrefix(), marker, limit);
    String horizon = null;
    if (page.truncated() && !page.items().isEmpty()) {
      horizon = page.items().get(page.items().size() - 1).getName();
    }
    if (staged.truncated() && !staged.items().isEmpty()) {
      String last = staged.items().get(staged.items().size() - 1).getName();
      horizon = horizon == null || UTF8_ORDER.compare(last, horizon) < 0 ? last : horizon;
    }
    java.util.TreeMap<String, BlobRecord> merged = new java.util.TreeMap<>(UTF8_ORDER);
    for (BlobRecord b : page.items()) {
      merged.put(b.getName(), b);
    }
    for (StagedBlobRecord s : staged.items()) {
      if (merged.containsKey(s.getName())
          || store.blob(partition, q.getAccount(), q.getContainerId(), s.getName()).isPresent()) {
        continue; // a blob with a committed version is listed as that version
      }
      merged.put(s.getName(), BlobRecord.newBuilder()
          .setAccount(s.getAccount())
          .setContainerId(s.getContainerId())
          .setName(s.getName())
          .setCreatedEpochMillis(s.getFirstStagedEpochMillis())
          .setLastModifiedEpochMillis(s.getLastStagedEpochMillis())
          .build());
    }
    List<BlobRecord> items = new ArrayList<>();
    boolean cut = false;
    for (BlobRecord b : merged.values()) {
      if (items.size() == limit || (horizon != null && UTF8_ORDER.compare(b.getName(), horizon) > 0)) {
        cut = true;
        break;
      }
      items.add(b);
    }
    return new Page<>(items, cut || page.truncated() || staged.truncated());
  }

  private static BlobRecord sizesOnly(BlobRecord b) {
    BlobRecord.Builder r = b.toBuilder().clearDeks().clearManifestMac().clearStreams();
    for (StreamRef st : b.getStreamsList()) {
      r.addStreams(st.toBuilder().clearChunks());
    }
    return r.build();
  }

  private static UncommittedBlock sizesOnly(UncommittedBlock u) {
    return u.toBuilder().clearDek().setStream(u.getStream().toBuilder().clearChunks()).build();
  }

  private static void checkBlockId(ByteString id) {
    if (id.isEmpty() || id.size() > MAX_BLOCK_ID_BYTES) {
      throw new InvalidRequestException("block id must be 1.." + MAX_BLOCK_ID_BYTES + " bytes, got " + id.size());
    }
  }

  private static CommandResult.Builder status(CommandStatus status) {
    return CommandResult.newBuilder().setStatus(status);
  }

  private static int pageSize(int maxResults) {
    // uint32 on the wire: a value above 2^31 arrives negative and means "as many as allowed".
    return maxResults <= 0 || maxResults > MAX_LIST_RESULTS ? MAX_LIST_RESULTS : maxResults;
  }

  private void checkPartition(int partition) {
    // uint32 on the wire: Integer.compareUnsigned keeps values above 2^31 out of range.
    if (Integer.compareUnsigned(partition, partitions) >= 0) {
      throw new InvalidRequestException(
          "partition " + Integer.toUnsignedString(partition) + " is out of range [0, " + partitions + ")");
    }
  }

  private static void checkAccount(String account) {
    if (account.isEmpty()) {
      throw new InvalidRequestException("account is required");
    }
    if (account.indexOf('\0') >= 0) {
      throw new InvalidRequestException("account must not contain NUL");
    }
    if (utf8Length(account) > MAX_ACCOUNT_BYTES) {
      throw new InvalidRequestException("account is longer than " + MAX_ACCOUNT_BYTES + " bytes");
    }
  }

  private static void checkName(String what, String name) {
    if (name.isEmpty()) {
      throw new InvalidRequestException(what + " is required");
    }
    checkBounded(what, name);
  }

  private static void checkBounded(String what, String value) {
    if (utf8Length(value) > MAX_NAME_BYTES) {
      throw new InvalidRequestException(what + " is longer than " + MAX_NAME_BYTES + " bytes");
    }
  }

  private static void checkId(String what, ByteString id) {
    if (id.size() != ID_BYTES) {
      throw new InvalidRequestException(what + " must be " + ID_BYTES + " bytes, got " + id.size());
    }
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
