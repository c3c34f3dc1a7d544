package io.cobalt.node;

import io.cobalt.crypto.tls.TlsMaterial;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One storage node.
 *
 * @param nodeId the node's name in the cluster (thread names, logs, replica lists)
 * @param dataDir where the node keeps its RocksDB ({@code <dataDir>/rocksdb})
 * @param bindHost address the gRPC server listens on
 * @param port gRPC port; 0 picks any free port (see {@link NodeServer#port()})
 * @param partitions number of metadata partitions (fixed for the life of the cluster)
 * @param tls this node's certificate and the cluster CA; clients must present a certificate from it
 */
public record NodeConfig(String nodeId, Path dataDir, String bindHost, int port, int partitions, TlsMaterial tls) {
  public NodeConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(tls, "tls");
    if (nodeId == null || !nodeId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("nodeId must be 1-64 characters of [A-Za-z0-9._-]: " + nodeId);
    }
    if (bindHost == null || bindHost.isBlank()) {
      throw new IllegalArgumentException("bindHost is required");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (partitions <= 0 || partitions > 65536) {
      throw new IllegalArgumentException("partitions must be in [1, 65536]: " + partitions);
    }
  }
}
