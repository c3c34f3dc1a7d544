package io.cobalt.node.rpc;

/**
 * The node's gRPC server.
 *
 * @param nodeId names the worker threads ({@code node-<id>-rpc-N}) and incident references
 * @param bindHost address to listen on
 * @param port TCP port; 0 picks a free one
 * @param workerThreads size of the bounded worker pool that runs every call (and the RocksDB work)
 * @param maxQueuedTasks tasks waiting for a worker, at most
 * @param maxInFlightCalls calls admitted at once; more get RESOURCE_EXHAUSTED (bounds memory: each
 *     may hold a chunk of up to 4 MiB + 64 KiB)
 * @param maxCallsPerConnection concurrent HTTP/2 streams one client connection may open
 * @param maxInboundMessageBytes largest request message accepted
 * @param handshakeTimeoutMillis TLS handshake deadline for a new connection
 * @param drainMillis on close, how long calls in progress may take to finish before they are cancelled
 */
public record RpcServerConfig(
    String nodeId,
    String bindHost,
    int port,
    int workerThreads,
    int maxQueuedTasks,
    int maxInFlightCalls,
    int maxCallsPerConnection,
    int maxInboundMessageBytes,
    long handshakeTimeoutMillis,
    long drainMillis) {

  /**
   * The largest request: a metadata command carrying an entity-group transaction of the most sealed
   * bytes the state machine accepts (8 MiB + 100 KiB) with its framing; a chunk (4 MiB + format
   * overhead) is smaller.
   */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 10 * 1024 * 1024;

  public RpcServerConfig {
    if (nodeId == null || nodeId.isBlank() || bindHost == null || bindHost.isBlank()) {
      throw new IllegalArgumentException("nodeId and bindHost are required");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (workerThreads <= 0 || maxQueuedTasks <= 0 || maxInFlightCalls <= 0 || maxCallsPerConnection <= 0
        || maxInboundMessageBytes <= 0 || handshakeTimeoutMillis <= 0 || drainMillis < 0) {
      throw new IllegalArgumentException("limits must be positive: " + this);
    }
  }

  public static RpcServerConfig defaults(String nodeId, String bindHost, int port) {
    return new RpcServerConfig(nodeId, bindHost, port, 8, 1024, 64, 128, DEFAULT_MAX_INBOUND_MESSAGE_BYTES, 10_000, 2_000);
  }
}
