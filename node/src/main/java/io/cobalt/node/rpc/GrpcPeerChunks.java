package io.cobalt.node.rpc;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.healing.PeerChunks;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.proto.grpc.ReconnectPacer;
import io.cobalt.proto.node.v1.ChunkServiceGrpc;
import io.cobalt.proto.node.v1.GetChunkRequest;
import io.cobalt.proto.node.v1.GetChunkResponse;
import io.cobalt.node.storage.ChunkCopy;
import io.cobalt.proto.node.v1.HasChunksRequest;
import io.cobalt.proto.node.v1.PutChunkRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link PeerChunks} over the peers' {@code ChunkService}, with this node's cluster certificate
 * (mutual TLS, as the gateway's channels). One lazily connecting channel per peer; a deadline on
 * every call. Blocking stubs: called only on heal threads. A {@link ReconnectPacer} keeps the
 * channels' reconnect backoff short (ADR 0035): a peer back from a long outage gets its missing
 * replicas within about a second, not after the rest of a backoff that grows to two minutes.
 */
public final class GrpcPeerChunks implements PeerChunks {
  /** A 4 MiB chunk plus format overhead and framing. */
  private static final int MAX_INBOUND_MESSAGE_BYTES = 8 * 1024 * 1024;
  private static final long DEADLINE_MILLIS = 30_000;

  private final Map<String, ManagedChannel> channels = new TreeMap<>();
  private final ReconnectPacer pacer;

  /** @param endpoints {@code host:port} by node id (this node's entry is not used) */
  public GrpcPeerChunks(Map<String, String> endpoints, String selfId, TlsMaterial tls) {
    ChannelCredentials creds = TlsChannelCredentials.newBuilder()
        .keyManager(tls.keyManagers())
        .trustManager(tls.trustManagers())
        .build();
    for (Map.Entry<String, String> e : endpoints.entrySet()) {
      if (e.getKey().equals(selfId)) {
        continue;
      }
      String endpoint = e.getValue();
      int colon = endpoint.lastIndexOf(':');
      channels.put(e.getKey(), Grpc.newChannelBuilderForAddress(endpoint.substring(0, colon),
              Integer.parseInt(endpoint.substring(colon + 1)), creds)
          .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
          .build());
    }
    pacer = new ReconnectPacer(channels.values(), ReconnectPacer.DEFAULT_PERIOD_MILLIS,
        "node-" + selfId + "-peer-reconnect");
  }

  @Override
  public List<Boolean> has(String node, List<ChunkId> ids) {
    HasChunksRequest.Builder request = HasChunksRequest.newBuilder();
    for (ChunkId id : ids) {
      request.addChunkIds(ByteString.copyFrom(id.bytes()));
    }
    try {
      List<Boolean> present = stub(node).hasChunks(request.build()).getPresentList();
      if (present.size() != ids.size()) {
        throw new PeerUnavailableException("node " + node + " answered HasChunks with " + present.size() + " of "
            + ids.size() + " entries", null);
      }
      return present;
    } catch (StatusRuntimeException e) {
      throw unavailable(node, "HasChunks", e);
    }
  }

  @Override
  public Optional<ChunkCopy> get(String node, ChunkId id) {
    try {
      GetChunkResponse r = stub(node).getChunk(GetChunkRequest.newBuilder()
          .setChunkId(ByteString.copyFrom(id.bytes())).build());
      return Optional.of(new ChunkCopy(r.getData().toByteArray(), r.getInfrastructureEncryption()));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw unavailable(node, "GetChunk", e);
    }
  }

  @Override
  public void put(String node, ChunkId id, ChunkCopy copy) {
    try {
      stub(node).putChunk(PutChunkRequest.newBuilder()
          .setChunkId(ByteString.copyFrom(id.bytes()))
          .setData(ByteString.copyFrom(copy.data()))
          .setInfrastructureEncryption(copy.infrastructureEncrypted())
          .build());
    } catch (StatusRuntimeException e) {
      throw unavailable(node, "PutChunk", e);
    }
  }

  private ChunkServiceGrpc.ChunkServiceBlockingStub stub(String node) {
    ManagedChannel c = channels.get(node);
    if (c == null) {
      throw new PeerUnavailableException("unknown node " + node, null);
    }
    return ChunkServiceGrpc.newBlockingStub(c).withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
  }

  private static PeerUnavailableException unavailable(String node, String call, StatusRuntimeException e) {
    return new PeerUnavailableException(call + " on node " + node + " failed: " + e.getStatus().getCode() + " "
        + e.getStatus().getDescription(), e);
  }

  @Override
  public void close() {
    pacer.close();
    for (ManagedChannel c : channels.values()) {
      c.shutdown();
    }
    for (ManagedChannel c : channels.values()) {
      try {
        if (!c.awaitTermination(2, TimeUnit.SECONDS)) {
          c.shutdownNow();
        }
      } catch (InterruptedException e) {
        c.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }
}
