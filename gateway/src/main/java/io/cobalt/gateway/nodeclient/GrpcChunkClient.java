package io.cobalt.gateway.nodeclient;

import com.google.protobuf.ByteString;
import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.GetChunkRequest;
import io.cobalt.proto.node.v1.GetChunkResponse;
import io.cobalt.proto.node.v1.PutChunkResponse;
import io.cobalt.proto.node.v1.PutChunkRequest;
import io.cobalt.proto.node.v1.HealRepairItem;
import io.cobalt.proto.node.v1.QueueRepairsRequest;
import io.cobalt.proto.node.v1.QueueRepairsResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.concurrent.TimeUnit;

/** {@link ChunkClient} over gRPC (mTLS), with a deadline on every call. */
public final class GrpcChunkClient implements ChunkClient {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcChunkClient.class);
  public static final long DEADLINE_MILLIS = 30_000;

  private final NodeChannels channels;

  public GrpcChunkClient(NodeChannels channels) {
    this.channels = channels;
  }

  @Override
  public CompletableFuture<Void> put(String nodeId, byte[] chunkId, byte[] data) {
    return put(nodeId, chunkId, data, false);
  }

  @Override
  public CompletableFuture<Void> put(String nodeId, byte[] chunkId, byte[] data, boolean infrastructureEncryption) {
    PutChunkRequest request =
        PutChunkRequest.newBuilder()
            .setChunkId(ByteString.copyFrom(chunkId))
            .setData(ByteString.copyFrom(data))
            .setInfrastructureEncryption(infrastructureEncryption)
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

  /** Repair requests in flight; beyond this they are dropped (anti-entropy covers them). */
  static final int MAX_REPAIR_REQUESTS_IN_FLIGHT = 64;

  private static final long REPAIR_DEADLINE_MILLIS = 5_000;
  private final AtomicInteger repairRequests = new AtomicInteger();

  @Override
  public CompletableFuture<Void> queueRepair(String nodeId, byte[] chunkId, List<String> targets) {
    if (repairRequests.incrementAndGet() > MAX_REPAIR_REQUESTS_IN_FLIGHT) {
      repairRequests.decrementAndGet();
      return CompletableFuture.completedFuture(null);
    }
    QueueRepairsRequest.Builder request = QueueRepairsRequest.newBuilder();
    for (String target : targets) {
      request.addItems(HealRepairItem.newBuilder().setChunkId(ByteString.copyFrom(chunkId)).setTargetNode(target)
          .addSources(nodeId));
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      GrpcCalls.<QueueRepairsResponse, Void>unary("QueueRepairs@" + nodeId,
              obs -> ChunkServiceGrpc.newStub(channels.channel(nodeId))
                  .withDeadlineAfter(REPAIR_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                  .queueRepairs(request.build(), obs),
              r -> null)
          .whenComplete((ok, error) -> {
            repairRequests.decrementAndGet();
            if (error != null) {
              LOG.debug("repair request to node {} failed: {}", nodeId, error.toString());
            }
            done.complete(null);
          });
    } catch (RuntimeException e) {
      repairRequests.decrementAndGet();
      done.complete(null);
    }
    return done;
  }

  private ChunkServiceGrpc.ChunkServiceStub stub(String nodeId) {
    return ChunkServiceGrpc.newStub(channels.channel(nodeId))
        .withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
  }
}
