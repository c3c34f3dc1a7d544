package io.cobalt.gateway.nodeclient;

import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.concurrent.CompletableFuture;

/** Metadata commands and queries for a partition, sent to the node that owns it. */
public interface MetadataClient {
  CompletableFuture<CommandResult> submit(String nodeId, MetadataCommand command);

  CompletableFuture<QueryResult> query(String nodeId, MetadataQuery query);

  /**
   * The placement map {@code nodeId} knows (ADR 0021). Clients without one (test fakes) answer
   * with a failure, and the gateway keeps rendezvous placement.
   */
  default CompletableFuture<PlacementMap> placement(String nodeId) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("no placement service"));
  }
}
