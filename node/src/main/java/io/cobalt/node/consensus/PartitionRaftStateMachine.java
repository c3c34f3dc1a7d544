package io.cobalt.node.consensus;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cobalt.node.partition.InvalidRequestException;
import io.cobalt.node.partition.PartitionStateMachine;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of one partition's group: a thin adapter over the shared, Ratis-free
 * {@link PartitionStateMachine}.
 *
 * <ul>
 *   <li>{@link #applyTransaction}: decodes the entry's {@code MetadataCommand} and applies it at the
 *       entry's log index. Ratis replays the whole log after a restart (no snapshots yet); entries at
 *       or below the partition's stored applied index are already in RocksDB and are skipped, so
 *       replay is idempotent. Apply runs on the group's single StateMachineUpdater thread, in log
 *       order. A storage failure is thrown, not returned: Ratis then stops this group's division
 *       (fail-stop) instead of counting a command as applied that is not in RocksDB.
 *   <li>{@link #query}: Ratis calls it after the linearizable read barrier (ReadIndex) is applied.
 * </ul>
 *
 * <p>Replies carry a one-byte envelope ({@link Reply}) so that an invalid request comes back as a
 * value, not as a serialized Java exception.
 */
final class PartitionRaftStateMachine extends BaseStateMachine {
  private static final Logger log = LoggerFactory.getLogger(PartitionRaftStateMachine.class);

  private final PartitionStateMachine state;
  private final int partition;

  PartitionRaftStateMachine(PartitionStateMachine state, int partition) {
    this.state = state;
    this.partition = partition;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
    // Ratis requires the lifecycle transitions (research/ratis.md §7.5); BaseStateMachine skips them.
    getLifeCycle().startAndTransition(() -> super.initialize(server, groupId, storage));
  }

  @Override
  public void pause() {
    LifeCycle lc = getLifeCycle();
    if (lc.getCurrentState() == LifeCycle.State.RUNNING) {
      lc.transition(LifeCycle.State.PAUSING);
      lc.transition(LifeCycle.State.PAUSED);
    }
  }

  @Override
  public void reinitialize() throws IOException {
    // No snapshot to reload (the state lives in RocksDB and is never replaced); resume.
    LifeCycle lc = getLifeCycle();
    if (lc.getCurrentState() == LifeCycle.State.PAUSED) {
      lc.transition(LifeCycle.State.STARTING);
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
