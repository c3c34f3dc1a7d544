package io.cobalt.gateway.placement;

import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.gateway.nodeclient.MetadataClient;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.GetBlob;
import io.cobalt.proto.node.v1.GetContainer;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.proto.node.v1.ServicePropertiesGet;
import io.cobalt.proto.node.v1.ServicePropertiesRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Sends metadata commands and queries to a voter of the key's partition, and fans listings out to
 * every partition. Results come back on the caller's Vert.x context.
 *
 * <p>Failover: the partition's voters (from the placement map, {@link PlacementView}) are tried in
 * order; a retriable failure ({@link BackendUnavailableException}: UNAVAILABLE, DEADLINE_EXCEEDED,
 * ...) moves on to the next voter (and the placement view is refreshed: the voter may have been
 * replaced), any other answer or failure is final. A command that failed with a deadline may still
 * have been committed, so trying it on another voter can apply it twice; the commands are
 * idempotent or report the second apply (ALREADY_EXISTS, NOT_FOUND), which ADR 0004 discusses.
 */
public final class MetadataRouter {
  private final RendezvousPlacement placement;
  private final MetadataClient client;
  private final PlacementView view;

  /** A router whose voters come from rendezvous placement until {@code view} learns the cluster's map. */
  public MetadataRouter(RendezvousPlacement placement, MetadataClient client, PlacementView view) {
    this.placement = placement;
    this.client = client;
    this.view = view;
  }

  /** A router with a view of its own (refreshed only when a call fails retriably). */
  public MetadataRouter(RendezvousPlacement placement, MetadataClient client) {
    this(placement, client, new PlacementView(placement, client, placement.nodeIds()));
  }

  public PlacementView view() {
    return view;
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

  /** The account's stored Blob service properties, or null if they were never set. */
  public Future<ServicePropertiesRecord> serviceProperties(Context ctx, String account) {
    int partition = placement.servicePropertiesPartition(account);
    MetadataQuery q =
        MetadataQuery.newBuilder()
            .setPartition(partition)
            .setGetServiceProperties(ServicePropertiesGet.newBuilder().setAccount(account))
            .build();
    return query(ctx, partition, q)
        .map(r -> r.getServicePropertiesCount() == 0 ? null : r.getServiceProperties(0));
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

  /**
   * Submits a command built for {@code partition} through its voters, until one answers.
   *
   * <p>A voter that failed retriably (timeout, lost connection, no leader in time) may still have
   * put the command in the log, and another voter's node submits it again as a new command, so it
   * can be applied twice. An OK answer is then fine, but a refusal (a condition not met, already
   * exists, not found) may be the command refusing its own first application: reporting it would
   * tell the client that a write which happened did not. So after a retriable failure only OK is an
   * answer; a refusal becomes a retriable {@link BackendUnavailableException} (503), and the client
   * learns the outcome on its retry. Found by the chaos suite's linearizability check under
   * network partitions (an If-Match write answered 412 although it had been applied).
   */
  public Future<CommandResult> submit(Context ctx, MetadataCommand command) {
    List<String> voters = view.metadataNodesOf(command.getPartition());
    AtomicBoolean retried = new AtomicBoolean();
    CompletableFuture<CommandResult> answer = firstAnswer(voters, 0, node -> client.submit(node, command),
        () -> {
          retried.set(true);
          view.refresh();
        }).thenCompose(r -> retried.get() && r.getStatus() != CommandStatus.OK
            ? CompletableFuture.failedFuture(new BackendUnavailableException("partition " + command.getPartition()
                + ": " + r.getStatus() + " after an earlier attempt's outcome became unknown"))
            : CompletableFuture.completedFuture(r));
    return Future.fromCompletionStage(answer, ctx);
  }

  public Future<QueryResult> query(Context ctx, int partition, MetadataQuery query) {
    List<String> voters = view.metadataNodesOf(partition);
    return Future.fromCompletionStage(firstAnswer(voters, 0, node -> client.query(node, query), view::refresh), ctx);
  }

  private static <T> CompletableFuture<T> firstAnswer(
      List<String> nodes, int i, Function<String, CompletableFuture<T>> call, Runnable onRetry) {
    CompletableFuture<T> attempt;
    try {
      attempt = call.apply(nodes.get(i));
    } catch (RuntimeException e) {
      attempt = CompletableFuture.failedFuture(e);
    }
    if (i + 1 == nodes.size()) {
      return attempt;
    }
    return attempt.handle((result, failure) -> {
      if (failure == null) {
        return CompletableFuture.completedFuture(result);
      }
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (!(cause instanceof BackendUnavailableException)) {
        return CompletableFuture.<T>failedFuture(cause);
      }
      onRetry.run();
      return firstAnswer(nodes, i + 1, call, onRetry);
    }).thenCompose(f -> f);
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
