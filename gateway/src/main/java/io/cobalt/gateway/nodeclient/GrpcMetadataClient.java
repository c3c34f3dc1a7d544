package io.cobalt.gateway.nodeclient;

import io.cobalt.proto.node.v1.GetPlacementRequest;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementServiceGrpc;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@link MetadataClient} over gRPC (mTLS), with a deadline on every call. */
public final class GrpcMetadataClient implements MetadataClient {
  public static final long DEADLINE_MILLIS = 10_000;
  /** The node answers GetPlacement from memory. */
  static final long PLACEMENT_DEADLINE_MILLIS = 3_000;

  private final NodeChannels channels;

  public GrpcMetadataClient(NodeChannels channels) {
    this.channels = channels;
  }

  @Override
  public CompletableFuture<CommandResult> submit(String nodeId, MetadataCommand command) {
    return GrpcCalls.<CommandResult, CommandResult>unary("Submit@" + nodeId, obs -> stub(nodeId).submit(command, obs), r -> r);
  }

  @Override
  public CompletableFuture<QueryResult> query(String nodeId, MetadataQuery query) {
    return GrpcCalls.<QueryResult, QueryResult>unary("Query@" + nodeId, obs -> stub(nodeId).query(query, obs), r -> r);
  }

  @Override
  public CompletableFuture<PlacementMap> placement(String nodeId) {
    return GrpcCalls.<PlacementMap, PlacementMap>unary("GetPlacement@" + nodeId,
        obs -> PlacementServiceGrpc.newStub(channels.channel(nodeId))
            .withDeadlineAfter(PLACEMENT_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
            .getPlacement(GetPlacementRequest.getDefaultInstance(), obs), r -> r);
  }

  private MetadataServiceGrpc.MetadataServiceStub stub(String nodeId) {
    return MetadataServiceGrpc.newStub(channels.channel(nodeId))
        .withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
  }
}
