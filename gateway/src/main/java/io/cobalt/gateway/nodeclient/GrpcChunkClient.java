package io.cobalt.gateway.nodeclient;

import com.google.protobuf.ByteString;
import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.GetChunkRequest;
import io.cobalt.proto.node.v1.GetChunkResponse;
import io.cobalt.proto.node.v1.PutChunkResponse;
import io.cobalt.proto.node.v1.PutChunkRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@link ChunkClient} over gRPC (mTLS), with a deadline on every call. */
public final class GrpcChunkClient implements ChunkClient {
  public static final long DEADLINE_MILLIS = 30_000;

  private final NodeChannels channels;

  public GrpcChunkClient(NodeChannels channels) {
    this.channels = channels;
  }

  @Override
  public CompletableFuture<Void> put(String nodeId, byte[] chunkId, byte[] data) {
    PutChunkRequest request =
        PutChunkRequest.newBuilder()
            .setChunkId(ByteString.copyFrom(chunkId))
            .setData(ByteString.copyFrom(data))
            .build();
    return GrpcCalls.<PutChunkResponse, Void>unary(
        "PutChunk@" + nodeId,
        obs -> stub(nodeId).putChunk(request, obs),
        r -> null);
  }

  @Override
  public CompletableFuture<byte[]> get(String nodeId, byte[] chunkId) {
    GetChunkRequest request = GetChunkRequest.newBuilder().setChunkId(ByteString.copyFrom(chunkId)).build();
    return GrpcCalls.<GetChunkResponse, byte[]>unary(
        "GetChunk@" + nodeId,
        obs -> stub(nodeId).getChunk(request, obs),
        r -> r.getData().toByteArray());
  }

  private ChunkServiceGrpc.ChunkServiceStub stub(String nodeId) {
    return ChunkServiceGrpc.newStub(channels.channel(nodeId))
        .withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
  }
}
