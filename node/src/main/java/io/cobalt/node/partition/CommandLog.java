package io.cobalt.node.partition;

import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import java.util.concurrent.CompletableFuture;

/**
 * Orders metadata commands per partition and applies each to the {@link PartitionStateMachine}
 * exactly once, at the next index. Today {@link LocalCommandLog}; with Raft, a log replicated to the
 * partition's group whose {@code applyTransaction} calls {@link PartitionStateMachine#apply}.
 */
public interface CommandLog {
  /**
   * Submits {@code command}. The future completes with the applied result, or exceptionally with
   * {@link InvalidRequestException} (never entered the log) or a
   * {@link io.cobalt.node.storage.StorageException}.
   */
  CompletableFuture<CommandResult> submit(MetadataCommand command);
}
