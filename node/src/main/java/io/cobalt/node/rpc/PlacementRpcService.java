package io.cobalt.node.rpc;

import io.cobalt.proto.node.v1.GetPlacementRequest;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/**
 * gRPC adapter of {@code PlacementService} (ADR 0021): the placement map this node knows, from
 * memory (a meta voter has it as applied; every node reads the meta group's map periodically).
 * Callers keep the highest version they have seen, so a node that lags behind costs nothing but a
 * stale answer. Holds node ids and partition numbers only. A standalone node answers the empty map
 * (version 0).
 */
final class PlacementRpcService extends PlacementServiceGrpc.PlacementServiceImplBase {
  private final Supplier<PlacementMap> placement;
  private final StatusCatalogue statuses;

  PlacementRpcService(Supplier<PlacementMap> placement, StatusCatalogue statuses) {
    this.placement = placement;
    this.statuses = statuses;
  }

  @Override
  public void getPlacement(GetPlacementRequest request, StreamObserver<PlacementMap> response) {
    PlacementMap map;
    try {
      map = placement.get();
    } catch (RuntimeException e) {
      response.onError(statuses.toStatus(e, "GetPlacement"));
      return;
    }
    response.onNext(map);
    response.onCompleted();
  }
}
