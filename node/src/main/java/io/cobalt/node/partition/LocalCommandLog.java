package io.cobalt.node.partition;

import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A single-node {@link CommandLog}: each partition has a fair lock, so its commands are applied one
 * at a time in arrival order, at the index after the partition's applied index. The apply (a synced
 * RocksDB write) runs on the submitting thread, which is a node RPC worker, never an event loop;
 * the returned future is already complete. Queries read the local state, which on a single node
 * is linearizable. Each apply is a synced RocksDB write: here the state is the only durable record.
 */
public final class LocalCommandLog implements CommandLog {
  private final PartitionStateMachine stateMachine;
  private final ReentrantLock[] partitionLocks;

  public LocalCommandLog(PartitionStateMachine stateMachine) {
    this.stateMachine = stateMachine;
    this.partitionLocks = new ReentrantLock[stateMachine.partitions()];
    for (int p = 0; p < partitionLocks.length; p++) {
      partitionLocks[p] = new ReentrantLock(true);
    }
  }

  @Override
  public CompletableFuture<CommandResult> submit(MetadataCommand command) {
    try {
      // Invalid commands never take an index, as they would never enter a Raft log.
      stateMachine.validate(command);
      ReentrantLock lock = partitionLocks[command.getPartition()];
      lock.lock();
      try {
        long index = stateMachine.appliedIndex(command.getPartition()) + 1;
        return CompletableFuture.completedFuture(stateMachine.apply(index, command));
      } finally {
        lock.unlock();
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<QueryResult> query(MetadataQuery query) {
    try {
      return CompletableFuture.completedFuture(stateMachine.query(query));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
