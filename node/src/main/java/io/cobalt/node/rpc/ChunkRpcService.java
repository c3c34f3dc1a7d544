package io.cobalt.node.rpc;

import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.ByteString;
import io.cobalt.node.storage.ChunkCopy;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.ChunkRejectedException;
import io.cobalt.node.storage.RepairItem;
import io.cobalt.proto.node.v1.HasChunksRequest;
import io.cobalt.proto.node.v1.HasChunksResponse;
import io.cobalt.proto.node.v1.HealRepairItem;
import io.cobalt.proto.node.v1.QueueRepairsRequest;
import io.cobalt.proto.node.v1.QueueRepairsResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import io.cobalt.node.storage.VerifiedChunkStore;
import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.GetChunkRequest;
import io.cobalt.proto.node.v1.GetChunkResponse;
import io.cobalt.proto.node.v1.PutChunkRequest;
import io.cobalt.proto.node.v1.PutChunkResponse;
import io.grpc.stub.StreamObserver;
import java.util.Optional;

/** gRPC adapter of {@code ChunkService}: content-addressed chunk put/get over {@link VerifiedChunkStore}. */
final class ChunkRpcService extends ChunkServiceGrpc.ChunkServiceImplBase {
  /** Most ids one HasChunks may ask about, most items one QueueRepairs may carry. */
  static final int MAX_HAS_CHUNKS_IDS = 1024;
  static final int MAX_QUEUE_REPAIR_ITEMS = 256;

  private final VerifiedChunkStore chunks;
  private final ToIntFunction<List<RepairItem>> repairs;
  private final StatusCatalogue statuses;

  ChunkRpcService(VerifiedChunkStore chunks, ToIntFunction<List<RepairItem>> repairs, StatusCatalogue statuses) {
    this.chunks = chunks;
    this.repairs = repairs;
    this.statuses = statuses;
  }

  @Override
  public void hasChunks(HasChunksRequest request, StreamObserver<HasChunksResponse> response) {
    HasChunksResponse.Builder reply = HasChunksResponse.newBuilder();
    try {
      if (request.getChunkIdsCount() > MAX_HAS_CHUNKS_IDS) {
        throw new ChunkRejectedException("more than " + MAX_HAS_CHUNKS_IDS + " chunk ids");
      }
      for (ByteString b : request.getChunkIdsList()) {
        reply.addPresent(chunks.contains(ChunkId.of(b.toByteArray())));
      }
    } catch (RuntimeException e) {
      response.onError(statuses.toStatus(e, "HasChunks"));
      return;
    }
    response.onNext(reply.build());
    response.onCompleted();
  }

  @Override
  public void queueRepairs(QueueRepairsRequest request, StreamObserver<QueueRepairsResponse> response) {
    int queued;
    try {
      if (request.getItemsCount() > MAX_QUEUE_REPAIR_ITEMS) {
        throw new ChunkRejectedException("more than " + MAX_QUEUE_REPAIR_ITEMS + " repair items");
      }
      List<RepairItem> items = new ArrayList<>(request.getItemsCount());
      for (HealRepairItem i : request.getItemsList()) {
        if (i.getTargetNode().isEmpty() || i.getTargetNode().length() > 64 || i.getSourcesCount() > 16) {
          throw new ChunkRejectedException("a repair item needs a target node id (at most 64 characters) and at "
              + "most 16 sources");
        }
        items.add(new RepairItem(ChunkId.of(i.getChunkId().toByteArray()), i.getTargetNode(), i.getSourcesList()));
      }
      queued = repairs.applyAsInt(items);
    } catch (RuntimeException e) {
      response.onError(statuses.toStatus(e, "QueueRepairs"));
      return;
    }
    response.onNext(QueueRepairsResponse.newBuilder().setQueued(queued).build());
    response.onCompleted();
  }

  @Override
  public void putChunk(PutChunkRequest request, StreamObserver<PutChunkResponse> response) {
    PutChunkResponse reply;
    try {
      ChunkId id = ChunkId.of(request.getChunkId().toByteArray());
      VerifiedChunkStore.PutOutcome outcome = chunks.put(id, request.getData().asReadOnlyByteBuffer(),
          request.getInfrastructureEncryption());
      reply = PutChunkResponse.newBuilder()
          .setAlreadyPresent(outcome == VerifiedChunkStore.PutOutcome.ALREADY_PRESENT)
          .build();
    } catch (RuntimeException e) {
      response.onError(statuses.toStatus(e, "PutChunk"));
      return;
    }
    response.onNext(reply);
    response.onCompleted();
  }

  @Override
  public void getChunk(GetChunkRequest request, StreamObserver<GetChunkResponse> response) {
    ChunkId id;
    Optional<ChunkCopy> data;
    try {
      id = ChunkId.of(request.getChunkId().toByteArray());
      data = chunks.read(id);
    } catch (RuntimeException e) {
      response.onError(statuses.toStatus(e, "GetChunk"));
      return;
    }
    if (data.isEmpty()) {
      response.onError(statuses.notFound("chunk " + id.hex() + " is not on this node"));
      return;
    }
    response.onNext(GetChunkResponse.newBuilder()
        .setData(UnsafeByteOperations.unsafeWrap(data.get().data()))
        .setInfrastructureEncryption(data.get().infrastructureEncrypted())
        .build());
    response.onCompleted();
  }
}
