package io.cobalt.node.consensus;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cobalt.node.partition.InvalidRequestException;
import io.cobalt.node.partition.PartitionStateMachine;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of one partition's group: a thin adapter over the shared, Ratis-free
 * {@link PartitionStateMachine}.
 *
 * <ul>
 *   <li>{@link #applyTransaction}: decodes the entry's {@code MetadataCommand} and applies it at the
 *       entry's log index. Ratis replays the log after the latest snapshot on a restart; entries at
 *       or below the partition's stored applied index are already in RocksDB and are skipped, so
 *       replay is idempotent. Apply runs on the group's single StateMachineUpdater thread, in log
 *       order. A storage failure is thrown, not returned: Ratis then stops this group's division
 *       (fail-stop) instead of counting a command as applied that is not in RocksDB.
 *   <li>{@link #query}: Ratis calls it after the linearizable read barrier (ReadIndex) is applied.
 *   <li>{@link #takeSnapshot}: every {@code RaftSettings.snapshotEveryEntries} entries, the
 *       partition's image ({@code PartitionImage}) goes to the group's {@code sm/} directory;
 *       Ratis then purges the log up to it and ships it to a replica that needs purged entries,
 *       which loads it in {@link #reinitialize}.
 * </ul>
 *
 * <p>Replies carry a one-byte envelope ({@link Reply}) so that an invalid request comes back as a
 * value, not as a serialized Java exception.
 */
final class PartitionRaftStateMachine extends BaseStateMachine {
  private static final Logger log = LoggerFactory.getLogger(PartitionRaftStateMachine.class);

  private static final String TMP_PREFIX = "image-being-written-";

  private final PartitionStateMachine state;
  private final int partition;
  private final SimpleStateMachineStorage snapshots = new SimpleStateMachineStorage();

  PartitionRaftStateMachine(PartitionStateMachine state, int partition) {
    this.state = state;
    this.partition = partition;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
    // Ratis requires the lifecycle transitions (research/ratis.md §7.5); BaseStateMachine skips them.
    getLifeCycle().startAndTransition(() -> {
      super.initialize(server, groupId, storage);
      snapshots.init(storage);
      SnapshotFiles.removeStale(snapshots, TMP_PREFIX);
      SingleFileSnapshotInfo latest = snapshots.getLatestSnapshot();
      if (latest != null) {
        // The log before the snapshot may be purged: the state must be at least at its index.
        if (state.appliedIndex(partition) < latest.getIndex()) {
          log.warn("partition {}: state at index {} is behind the snapshot at {}; loading the snapshot", partition,
              state.appliedIndex(partition), latest.getIndex());
          load(latest);
        }
        updateLastAppliedTermIndex(latest.getTerm(), latest.getIndex());
      }
    });
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return snapshots;
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return snapshots.getLatestSnapshot();
  }

  /**
   * Writes the partition's image at the last applied index (Ratis calls this on the group's apply
   * thread, so nothing is applied meanwhile): temporary file, fsync, atomic rename, MD5 beside it.
   * Ratis may then purge the log up to that index.
   */
  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    long t0 = System.nanoTime();
    File written =
        SnapshotFiles.write(snapshots, last, TMP_PREFIX, out -> state.writeImage(partition, last.getIndex(), out));
    if (written == null) {
      return RaftLog.INVALID_LOG_INDEX;
    }
    log.info("partition {}: snapshot at index {} ({} bytes) in {} ms", partition, last.getIndex(), written.length(),
        (System.nanoTime() - t0) / 1_000_000);
    return last.getIndex();
  }

  private void load(SingleFileSnapshotInfo snapshot) throws IOException {
    Path file = snapshot.getFile().getPath();
    SnapshotFiles.verify(snapshot);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      long index = state.loadImage(partition, in);
      if (index != snapshot.getIndex()) {
        throw new IOException("snapshot file " + file.getFileName() + " holds an image at index " + index);
      }
    }
  }

  @Override
  public void pause() {
    SnapshotFiles.pause(getLifeCycle());
  }

  /**
   * After Ratis installed a snapshot from the leader (this replica was too far behind for the
   * leader's log): replaces the partition's state with the snapshot's image, then resumes.
   */
  @Override
  public void reinitialize() throws IOException {
    LifeCycle lc = getLifeCycle();
    if (lc.getCurrentState() == LifeCycle.State.PAUSED) {
      lc.transition(LifeCycle.State.STARTING);
      SingleFileSnapshotInfo latest = snapshots.loadLatestSnapshot();
      if (latest != null && latest.getIndex() > state.appliedIndex(partition)) {
        load(latest);
        updateLastAppliedTermIndex(latest.getTerm(), latest.getIndex());
        log.info("partition {}: installed the leader's snapshot at index {}", partition, latest.getIndex());
      }
      lc.transition(LifeCycle.State.RUNNING);
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    Message reply;
    if (index <= state.appliedIndex(partition)) {
      reply = Reply.ALREADY_APPLIED;
    } else {
      reply = apply(index, entry.getStateMachineLogEntry().getLogData().toByteArray());
    }
    updateLastAppliedTermIndex(entry.getTerm(), index);
    return CompletableFuture.completedFuture(reply);
  }

  private Message apply(long index, byte[] data) {
    MetadataCommand command;
    try {
      command = MetadataCommand.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      return Reply.invalid("log entry " + index + " is not a MetadataCommand");
    }
    if (command.getPartition() != partition) {
      return Reply.invalid("command for partition " + Integer.toUnsignedString(command.getPartition())
          + " in the log of partition " + partition);
    }
    try {
      CommandResult result = state.apply(index, command);
      return Reply.ok(result.toByteArray());
    } catch (InvalidRequestException e) {
      // Deterministic on every replica (validate() runs before entering the log, so rare).
      log.warn("partition {}: entry {} is invalid: {}", partition, index, e.getMessage());
      return Reply.invalid(e.getMessage());
    }
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    MetadataQuery query;
    try {
      query = MetadataQuery.parseFrom(request.getContent().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      return CompletableFuture.completedFuture(Reply.invalid("not a MetadataQuery"));
    }
    if (query.getPartition() != partition) {
      return CompletableFuture.completedFuture(Reply.invalid("query for partition "
          + Integer.toUnsignedString(query.getPartition()) + " sent to partition " + partition));
    }
    try {
      QueryResult result = state.query(query);
      return CompletableFuture.completedFuture(Reply.ok(result.toByteArray()));
    } catch (InvalidRequestException e) {
      return CompletableFuture.completedFuture(Reply.invalid(e.getMessage()));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public String toString() {
    return "partition-" + partition;
  }
}
