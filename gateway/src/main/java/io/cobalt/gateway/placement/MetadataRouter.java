package io.cobalt.gateway.placement;

import io.cobalt.gateway.nodeclient.MetadataClient;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.GetContainer;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Sends metadata commands and queries to the node that owns the key's partition, and fans
 * listings out to every partition. Results come back on the caller's Vert.x context.
 */
public final class MetadataRouter {
  private final RendezvousPlacement placement;
  private final MetadataClient client;

  public MetadataRouter(RendezvousPlacement placement, MetadataClient client) {
    this.placement = placement;
    this.client = client;
  }

  public RendezvousPlacement placement() {
    return placement;
  }

  /** The container's record, or null if it does not exist. */
  public Future<ContainerRecord> container(Context ctx, String account, String name) {
    int partition = placement.containerPartition(account, name);
    MetadataQuery q =
        MetadataQuery.newBuilder()
            .setPartition(partition)
            .setGetContainer(GetContainer.newBuilder().setAccount(account).setName(name))
            .build();
    return query(ctx, partition, q).map(r -> r.getContainersCount() == 0 ? null : r.getContainers(0));
  }

  /** The blob's record, or null if it does not exist. */
  public Future<BlobRecord> blob(Context ctx, ContainerRecord container, String name) {
    int partition = placement.blobPartition(container.getAccount(), container.getName(), name);
    MetadataQuery q =
        MetadataQuery.newBuilder()
            .setPartition(partition)
            .setGetBlob(
                GetBlob.newBuilder()
                    .setAccount(container.getAccount())
                    .setContainerId(container.getContainerId())
                    .setName(name))
            .build();
    return query(ctx, partition, q).map(r -> r.getBlobsCount() == 0 ? null : r.getBlobs(0));
  }

  /** Submits a command built for {@code partition} to its owner. */
  public Future<CommandResult> submit(Context ctx, MetadataCommand command) {
    String owner = placement.ownerOf(command.getPartition());
    return Future.fromCompletionStage(client.submit(owner, command), ctx);
  }

  public Future<QueryResult> query(Context ctx, int partition, MetadataQuery query) {
    String owner = placement.ownerOf(partition);
    return Future.fromCompletionStage(client.query(owner, query), ctx);
  }

  /** Runs one query per partition (built by {@code perPartition}) and returns all results. */
  public Future<List<QueryResult>> fanOut(Context ctx, IntFunction<MetadataQuery> perPartition) {
    List<Future<QueryResult>> all = new ArrayList<>(placement.partitions());
    for (int p = 0; p < placement.partitions(); p++) {
      all.add(query(ctx, p, perPartition.apply(p)));
    }
    return Future.all(all).map(cf -> {
      List<QueryResult> out = new ArrayList<>(all.size());
      for (int i = 0; i < all.size(); i++) {
        out.add(cf.resultAt(i));
      }
      return out;
    });
  }
}
