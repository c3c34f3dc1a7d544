package io.cobalt.node.partition;

import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.concurrent.CompletableFuture;

/**
 * Orders metadata commands per partition and applies each to the {@link PartitionStateMachine}
 * exactly once, at the next index; answers queries linearizably (a query sees every command whose
 * submit completed before the query started). {@link LocalCommandLog} on a standalone node; with
 * Raft, {@code io.cobalt.node.consensus.RaftCommandLog}, whose groups' {@code applyTransaction}
 * calls {@link PartitionStateMachine#apply}.
 */
public interface CommandLog {
  /**
   * Submits {@code command}. The future completes with the applied result, or exceptionally with
   * {@link InvalidRequestException} (never entered the log), {@link CommandUnavailableException}
   * (retriable; the outcome may be unknown), or a {@link io.cobalt.node.storage.StorageException}.
   */
  CompletableFuture<CommandResult> submit(MetadataCommand command);

  /**
   * Answers {@code query} from the partition's state, linearizably. Fails like {@link #submit}.
   */
  CompletableFuture<QueryResult> query(MetadataQuery query);
}
