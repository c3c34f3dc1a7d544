package io.cobalt.node.rpc;

import com.google.protobuf.UnsafeByteOperations;
import io.cobalt.node.storage.ChunkId;
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
  private final VerifiedChunkStore chunks;
  private final StatusCatalogue statuses;

  ChunkRpcService(VerifiedChunkStore chunks, StatusCatalogue statuses) {
    this.chunks = chunks;
    this.statuses = statuses;
  }

  @Override
  public void putChunk(PutChunkRequest request, StreamObserver<PutChunkResponse> response) {
    PutChunkResponse reply;
    try {
      ChunkId id = ChunkId.of(request.getChunkId().toByteArray());
      VerifiedChunkStore.PutOutcome outcome = chunks.put(id, request.getData().asReadOnlyByteBuffer());
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
    Optional<byte[]> data;
    try {
      id = ChunkId.of(request.getChunkId().toByteArray());
      data = chunks.get(id);
    } catch (RuntimeException e) {
      response.onError(statuses.toStatus(e, "GetChunk"));
      return;
    }
    if (data.isEmpty()) {
      response.onError(statuses.notFound("chunk " + id.hex() + " is not on this node"));
      return;
    }
    response.onNext(GetChunkResponse.newBuilder()
        .setData(UnsafeByteOperations.unsafeWrap(data.get()))
        .build());
    response.onCompleted();
  }
}
