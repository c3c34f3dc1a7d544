package io.cobalt.gateway.nodeclient;

import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.concurrent.CompletableFuture;

/** Metadata commands and queries for a partition, sent to the node that owns it. */
public interface MetadataClient {
  CompletableFuture<CommandResult> submit(String nodeId, MetadataCommand command);

  CompletableFuture<QueryResult> query(String nodeId, MetadataQuery query);
}
