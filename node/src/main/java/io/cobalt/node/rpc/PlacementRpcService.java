package io.cobalt.node.rpc;

import io.cobalt.proto.node.v1.GetPlacementRequest;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementServiceGrpc;
import io.cobalt.proto.node.v1.ChunkMoveReadmitRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * gRPC adapter of {@code PlacementService} (ADR 0021): the placement map this node knows, from
 * memory (a meta voter has it as applied; every node reads the meta group's map periodically).
 * Callers keep the highest version they have seen, so a node that lags behind costs nothing but a
 * stale answer. Holds node ids and partition numbers only. A standalone node answers the empty map
 * (version 0).
 */
public final class PlacementRpcService extends PlacementServiceGrpc.PlacementServiceImplBase {
  /** Re-admits a node retired from chunk placement (ADR 0028); blocking (a meta-group write). */
  public interface Readmission {
    PlacementMap readmit(String nodeId) throws IOException;
  }

  private final Supplier<PlacementMap> placement;
  private final Readmission readmission;
  private final StatusCatalogue statuses;

  PlacementRpcService(Supplier<PlacementMap> placement, StatusCatalogue statuses) {
    this(placement, id -> {
      throw new IllegalStateException("this node has no placement map");
    }, statuses);
  }

  PlacementRpcService(Supplier<PlacementMap> placement, Readmission readmission, StatusCatalogue statuses) {
    this.placement = placement;
    this.readmission = readmission;
    this.statuses = statuses;
  }

  /** Runs on an RPC worker (blocking is allowed there): the meta group's commit, bounded by its client's retries. */
  @Override
  public void chunkMoveReadmit(ChunkMoveReadmitRequest request, StreamObserver<PlacementMap> response) {
    String id = request.getNodeId();
    if (id.isEmpty() || id.length() > 256) {
      response.onError(Status.INVALID_ARGUMENT.withDescription("node_id must be 1..256 characters").asException());
      return;
    }
    PlacementMap map;
    try {
      map = readmission.readmit(id);
    } catch (IllegalArgumentException | IllegalStateException e) {
      response.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asException());
      return;
    } catch (IOException e) {
      response.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asException());
      return;
    } catch (RuntimeException e) {
      response.onError(statuses.toStatus(e, "ChunkMoveReadmit"));
      return;
    }
    response.onNext(map);
    response.onCompleted();
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
