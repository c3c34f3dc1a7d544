package io.cobalt.gateway;

import java.util.Objects;

/** A storage node as the gateway reaches it: its stable id (placement input) and gRPC address. */
public record NodeEndpoint(String nodeId, String host, int port) {
  public NodeEndpoint {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(host, "host");
    if (nodeId.isEmpty()) {
      throw new IllegalArgumentException("nodeId must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }
}
