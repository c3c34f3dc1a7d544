package io.cobalt.gateway.nodeclient;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.NodeEndpoint;
import io.cobalt.proto.grpc.ReconnectPacer;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One mTLS gRPC channel per node (and helpers for the kms-agent's), created once, closed together. */
public final class NodeChannels implements AutoCloseable {
  /** Largest message accepted: a 4 MiB chunk plus format overhead and framing. */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 8 * 1024 * 1024;

  private final Map<String, ManagedChannel> channels = new HashMap<>();
  /** A node back from a crash is used again within a second, not after gRPC's backoff (up to 120 s). */
  private final ReconnectPacer pacer;

  public NodeChannels(List<NodeEndpoint> nodes, TlsMaterial tls) {
    for (NodeEndpoint n : nodes) {
      channels.put(n.nodeId(), open(n.host(), n.port(), tls));
    }
    pacer = new ReconnectPacer(channels.values(), ReconnectPacer.DEFAULT_PERIOD_MILLIS, "gateway-node-reconnect");
  }

  /** An mTLS channel to {@code host:port} authenticated with {@code tls}. */
  public static ManagedChannel open(String host, int port, TlsMaterial tls) {
    ChannelCredentials creds =
        TlsChannelCredentials.newBuilder()
            .keyManager(tls.keyManagers())
            .trustManager(tls.trustManagers())
            .build();
    return Grpc.newChannelBuilderForAddress(host, port, creds)
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .build();
  }

  ManagedChannel channel(String nodeId) {
    ManagedChannel c = channels.get(nodeId);
    if (c == null) {
      throw new IllegalArgumentException("unknown node " + nodeId);
    }
    return c;
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
