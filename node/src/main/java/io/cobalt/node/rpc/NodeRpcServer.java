package io.cobalt.node.rpc;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.node.partition.CommandLog;
import io.cobalt.node.storage.RepairItem;
import io.cobalt.node.storage.VerifiedChunkStore;
import java.util.List;
import java.util.function.ToIntFunction;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's gRPC endpoint: ChunkService, MetadataService and NodeAdmin behind mutual TLS (a
 * client must present a certificate from the cluster CA). Netty's event loops only move bytes; every call runs
 * on a bounded pool of workers named {@code node-<id>-rpc-N}, which also do the RocksDB work.
 */
public final class NodeRpcServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeRpcServer.class);

  private final RpcServerConfig config;
  private final Server server;
  private final ThreadPoolExecutor workers;
  private final AtomicBoolean closed = new AtomicBoolean();

  private NodeRpcServer(RpcServerConfig config, Server server, ThreadPoolExecutor workers) {
    this.config = config;
    this.server = server;
    this.workers = workers;
  }

  /** Binds and starts serving; returns once the port is bound. */
  public static NodeRpcServer start(RpcServerConfig config, TlsMaterial tls, VerifiedChunkStore chunks,
      CommandLog commandLog, NodeStatusSource status) throws IOException {
    return start(config, tls, chunks, items -> 0, commandLog, status);
  }

  /**
   * As above, with {@code repairs} taking the items of {@code ChunkService.QueueRepairs} (returns
   * how many were queued; blocking is fine, it runs on an RPC worker).
   */
  public static NodeRpcServer start(RpcServerConfig config, TlsMaterial tls, VerifiedChunkStore chunks,
      ToIntFunction<List<RepairItem>> repairs, CommandLog commandLog, NodeStatusSource status) throws IOException {
    return start(config, tls, chunks, repairs, commandLog, status, null);
  }

  /**
   * As above, with {@code readmission} serving {@code PlacementService.ChunkMoveReadmit} (ADR 0028;
   * null: the node has no placement map and answers FAILED_PRECONDITION).
   */
  public static NodeRpcServer start(RpcServerConfig config, TlsMaterial tls, VerifiedChunkStore chunks,
      ToIntFunction<List<RepairItem>> repairs, CommandLog commandLog, NodeStatusSource status,
      PlacementRpcService.Readmission readmission) throws IOException {
    ThreadPoolExecutor workers = new ThreadPoolExecutor(config.workerThreads(), config.workerThreads(),
        60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(config.maxQueuedTasks()),
        namedThreads("node-" + config.nodeId() + "-rpc-"), new ThreadPoolExecutor.AbortPolicy());
    workers.allowCoreThreadTimeOut(true);
    ServerCredentials credentials = TlsServerCredentials.newBuilder()
        .keyManager(tls.keyManagers())
        .trustManager(tls.trustManagers())
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
    StatusCatalogue statuses = new StatusCatalogue(config.nodeId());
    AtomicInteger boundPort = new AtomicInteger(config.port()); // the real one once bound
    Server server = NettyServerBuilder
        .forAddress(new InetSocketAddress(config.bindHost(), config.port()), credentials)
        .executor(workers)
        .maxInboundMessageSize(config.maxInboundMessageBytes())
        .maxConcurrentCallsPerConnection(config.maxCallsPerConnection())
        .handshakeTimeout(config.handshakeTimeoutMillis(), TimeUnit.MILLISECONDS)
        .intercept(new InFlightCallLimit(config.maxInFlightCalls()))
        .addService(new ChunkRpcService(chunks, repairs, statuses))
        .addService(new MetadataRpcService(commandLog, statuses))
        .addService(readmission == null ? new PlacementRpcService(status.placement(), statuses)
            : new PlacementRpcService(status.placement(), readmission, statuses))
        .addService(new NodeAdminRpcService(config.nodeId(), () -> config.bindHost() + ":" + boundPort.get(), status,
            statuses))
        .build();
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      workers.shutdownNow();
      throw new IOException("node " + config.nodeId() + " cannot listen on " + config.bindHost() + ":" + config.port()
          + ": " + e.getMessage(), e);
    }
    boundPort.set(server.getPort());
    NodeRpcServer started = new NodeRpcServer(config, server, workers);
    log.info("node {} serving gRPC (mTLS) on {}:{}", config.nodeId(), config.bindHost(), started.port());
    return started;
  }

  public int port() {
    return server.getPort();
  }

  /** Stops accepting, lets calls in progress finish for up to {@code drainMillis}, then cancels the rest. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(config.drainMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("node {}: calls still running after {} ms, cancelling them", config.nodeId(), config.drainMillis());
        server.shutdownNow();
        server.awaitTermination(1, TimeUnit.SECONDS);
      }
      workers.shutdown();
      if (!workers.awaitTermination(config.drainMillis(), TimeUnit.MILLISECONDS)) {
        workers.shutdownNow();
        workers.awaitTermination(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      workers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    log.info("node {} stopped serving gRPC", config.nodeId());
  }

  private static ThreadFactory namedThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
