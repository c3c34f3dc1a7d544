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
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.UUID;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Sends metadata commands and queries to a voter of the key's partition, and fans listings out to
 * every partition. Results come back on the caller's Vert.x context.
 *
 * <p>Failover: the partition's voters (from the placement map, {@link PlacementView}) are tried in
 * order; a retriable failure ({@link BackendUnavailableException}: UNAVAILABLE, DEADLINE_EXCEEDED,
 * ...) moves on to the next voter (and the placement view is refreshed: the voter may have been
 * replaced), any other answer or failure is final. A voter that failed retriably is asked last for
 * a while ({@link PlacementView#votersToTry}, ADR 0039). A command that failed with a deadline may still
 * have been committed, so the copy sent to the next voter could be applied a second time: every
 * command therefore carries a submit id, the same on every attempt, and the partition applies an
 * id at most once, answering a later copy with the first one's result (ADR 0024).
 */
public final class MetadataRouter {
  private final RendezvousPlacement placement;
  private final MetadataClient client;
  private final Clock clock;
  private final PlacementView view;

  /** A router whose voters come from rendezvous placement until {@code view} learns the cluster's map. */
  public MetadataRouter(RendezvousPlacement placement, MetadataClient client, PlacementView view) {
    this(placement, client, view, Clock.systemUTC());
  }

  /** {@code clock} stamps each submit's first attempt (the partitions' deduplication window). */
  public MetadataRouter(RendezvousPlacement placement, MetadataClient client, PlacementView view, Clock clock) {
    this.placement = placement;
    this.client = client;
    this.view = view;
    this.clock = clock;
  }

  /** A router with a view of its own (refreshed only when a call fails retriably). */
  public MetadataRouter(RendezvousPlacement placement, MetadataClient client) {
    this(placement, client, new PlacementView(placement, client, placement.nodeIds()));
  }

  /** As {@link #MetadataRouter(RendezvousPlacement, MetadataClient)}, with a clock for submit times. */
  public MetadataRouter(RendezvousPlacement placement, MetadataClient client, Clock clock) {
    this(placement, client, new PlacementView(placement, client, placement.nodeIds()), clock);
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

  /** The account's stored properties of {@code service}, or null if they were never set. */
  public Future<ServicePropertiesRecord> serviceProperties(Context ctx, String account,
      io.cobalt.proto.node.v1.StorageServiceKind service) {
    int partition = placement.servicePropertiesPartition(account);
    MetadataQuery q =
        MetadataQuery.newBuilder()
            .setPartition(partition)
            .setGetServiceProperties(ServicePropertiesGet.newBuilder().setAccount(account).setService(service))
            .build();
    return query(ctx, partition, q)
        .map(r -> r.getServicePropertiesCount() == 0 ? null : r.getServiceProperties(0));
  }

  /** The blob's record, or null if it does not exist. */
  public Future<BlobRecord> blob(Context ctx, ContainerRecord container, String name) {
    return blob(ctx, container, name, null);
  }

  /**
   * The record of the blob's snapshot {@code snapshot} (ADR 0022), or of the blob itself when
   * {@code snapshot} is null; null if it does not exist. Snapshots live in their blob's partition.
   */
  public Future<BlobRecord> blob(Context ctx, ContainerRecord container, String name, String snapshot) {
    int partition = placement.blobPartition(container.getAccount(), container.getName(), name);
    GetBlob.Builder get = GetBlob.newBuilder()
        .setAccount(container.getAccount())
        .setContainerId(container.getContainerId())
        .setName(name);
    if (snapshot != null) {
      get.setSnapshot(snapshot);
    }
    MetadataQuery q = MetadataQuery.newBuilder().setPartition(partition).setGetBlob(get).build();
    return query(ctx, partition, q).map(r -> r.getBlobsCount() == 0 ? null : r.getBlobs(0));
  }

  /**
   * Submits a command built for {@code partition} through its voters, until one answers.
   *
   * <p>A voter that failed retriably (timeout, lost connection, no leader in time) may still have
   * put the command in the log, and the next voter's node submits it again. Both copies carry the
   * submit id set here once (unless the caller set one), so the partition applies the command once
   * and answers the later copy with the first one's result: a refusal after a retry is the
   * command's real outcome, never the command refusing its own first application (which the
   * chaos suite's linearizability check caught before ADR 0024). A command the partition refuses
   * as too old to deduplicate ({@code SUBMIT_EXPIRED}) fails retriably (503).
   */
  public Future<CommandResult> submit(Context ctx, MetadataCommand command) {
    MetadataCommand once = command.getSubmitId().isEmpty()
        ? command.toBuilder().setSubmitId(newSubmitId()).setSubmitEpochMillis(clock.millis()).build()
        : command;
    List<String> voters = view.votersToTry(once.getPartition());
    CompletableFuture<CommandResult> answer = firstAnswer(voters, 0, node -> client.submit(node, once), view)
        .thenCompose(r -> r.getStatus() == CommandStatus.SUBMIT_EXPIRED
            ? CompletableFuture.failedFuture(new BackendUnavailableException("partition " + once.getPartition()
                + ": the command reached the log after its deduplication window"))
            : CompletableFuture.completedFuture(r));
    return Future.fromCompletionStage(answer, ctx);
  }

  private static ByteString newSubmitId() {
    UUID u = UUID.randomUUID();
    return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
        .putLong(u.getLeastSignificantBits()).array());
  }

  public Future<QueryResult> query(Context ctx, int partition, MetadataQuery query) {
    List<String> voters = view.votersToTry(partition);
    return Future.fromCompletionStage(firstAnswer(voters, 0, node -> client.query(node, query), view), ctx);
  }

  /**
   * Asks {@code nodes} from {@code i} on until one answers. A retriable failure makes that node
   * suspect (asked last for a while) and refreshes the view; an answer, even a refusal, clears it.
   */
  private static <T> CompletableFuture<T> firstAnswer(
      List<String> nodes, int i, Function<String, CompletableFuture<T>> call, PlacementView view) {
    String node = nodes.get(i);
    CompletableFuture<T> attempt;
    try {
      attempt = call.apply(node);
    } catch (RuntimeException e) {
      attempt = CompletableFuture.failedFuture(e);
    }
    boolean last = i + 1 == nodes.size();
    return attempt.handle((result, failure) -> {
      if (failure == null) {
        view.answered(node);
        return CompletableFuture.completedFuture(result);
      }
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (!(cause instanceof BackendUnavailableException)) {
        view.answered(node);
        return CompletableFuture.<T>failedFuture(cause);
      }
      view.suspect(node);
      if (last) {
        return CompletableFuture.<T>failedFuture(cause);
      }
      view.refresh();
      return firstAnswer(nodes, i + 1, call, view);
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
