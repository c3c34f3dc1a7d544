package io.cobalt.node;

import io.cobalt.crypto.chunk.CipherWarmup;
import io.cobalt.node.partition.LocalCommandLog;
import io.cobalt.node.partition.PartitionStateMachine;
import io.cobalt.node.rpc.NodeRpcServer;
import io.cobalt.node.rpc.RpcServerConfig;
import io.cobalt.node.storage.VerifiedChunkStore;
import io.cobalt.node.storage.rocksdb.RocksStorage;
import io.cobalt.node.storage.rocksdb.RocksStorageConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running storage node: RocksDB under {@code dataDir}, the partition state machines behind a
 * local command log, and the mTLS gRPC server. The whole node in one place:
 * {@code rpc → partition → storage}.
 */
public final class NodeServer implements AutoCloseable {
  /** Directory of the node's RocksDB inside {@link NodeConfig#dataDir()}. */
  public static final String ROCKSDB_DIR = "rocksdb";

  private final NodeConfig config;
  private final RocksStorage storage;
  private final PartitionStateMachine stateMachine;
  private final NodeRpcServer rpc;
  private final AtomicBoolean closed = new AtomicBoolean();

  private NodeServer(NodeConfig config, RocksStorage storage, PartitionStateMachine stateMachine, NodeRpcServer rpc) {
    this.config = config;
    this.storage = storage;
    this.stateMachine = stateMachine;
    this.rpc = rpc;
  }

  /** Opens the node's RocksDB under {@code dataDir}, binds, and returns once it is serving. */
  public static NodeServer start(NodeConfig config) throws IOException {
    return start(config, RocksStorageConfig.defaults(),
        RpcServerConfig.defaults(config.nodeId(), config.bindHost(), config.port()));
  }

  /** As {@link #start(NodeConfig)}, with explicit storage and RPC limits. */
  public static NodeServer start(NodeConfig config, RocksStorageConfig storageConfig, RpcServerConfig rpcConfig)
      throws IOException {
    CipherWarmup.run(); // chunk ids are SHA-256, checked on every write and read
    RocksStorage storage = RocksStorage.open(rocksDbDir(config.dataDir()), storageConfig);
    try {
      PartitionStateMachine stateMachine = new PartitionStateMachine(storage.metadata(), config.partitions());
      NodeRpcServer rpc = NodeRpcServer.start(rpcConfig, config.tls(),
          new VerifiedChunkStore(storage.chunks()), new LocalCommandLog(stateMachine), stateMachine);
      return new NodeServer(config, storage, stateMachine, rpc);
    } catch (IOException | RuntimeException e) {
      storage.close();
      throw e;
    }
  }

  /** Where a node with this data directory keeps its RocksDB. */
  public static Path rocksDbDir(Path dataDir) {
    return dataDir.resolve(ROCKSDB_DIR);
  }

  public int port() {
    return rpc.port();
  }

  public String nodeId() {
    return config.nodeId();
  }

  /** The index of the last metadata command applied to {@code partition} on this node. */
  public long appliedIndex(int partition) {
    return stateMachine.appliedIndex(partition);
  }

  /** Stops accepting calls, lets those in progress finish briefly, then closes RocksDB. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      rpc.close();
    } finally {
      storage.close();
    }
  }
}
