package io.cobalt.cli.admin.rpc;

import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.proto.node.v1.ChunkMoveReadmitRequest;
import io.cobalt.proto.node.v1.GetNodeStatusRequest;
import io.cobalt.proto.node.v1.NodeAdminGrpc;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementServiceGrpc;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The operator's client of one node's {@code NodeAdmin} over mutual TLS. Calls are asynchronous so
 * that a cluster's nodes are asked at once; a failure completes the future with a
 * {@link NodeAdminException} (one readable line); no gRPC type leaves here.
 */
public final class NodeAdminClient implements AutoCloseable {
  private final ManagedChannel channel;
  private final String target;

  private NodeAdminClient(ManagedChannel channel, String target) {
    this.channel = channel;
    this.target = target;
  }

  /** A client of the node at {@code host:port} presenting {@code tls}'s certificate and trusting only its CA. */
  public static NodeAdminClient connect(String host, int port, TlsMaterial tls) {
    ManagedChannel ch = Grpc.newChannelBuilderForAddress(host, port, TlsChannelCredentials.newBuilder()
        .keyManager(tls.keyManagers()).trustManager(tls.trustManagers()).build()).build();
    return new NodeAdminClient(ch, host + ":" + port);
  }

  /** The node's status within {@code timeout}; fails with {@link NodeAdminException}. */
  public CompletableFuture<NodeStatus> status(Duration timeout) {
    CompletableFuture<NodeStatus> out = new CompletableFuture<>();
    NodeAdminGrpc.newStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .getNodeStatus(GetNodeStatusRequest.getDefaultInstance(), new StreamObserver<>() {
          @Override
          public void onNext(NodeStatus value) {
            out.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            out.completeExceptionally(describe(t, timeout));
          }

          @Override
          public void onCompleted() {
            if (!out.isDone()) {
              out.completeExceptionally(new NodeAdminException(target + " sent no status", "INTERNAL"));
            }
          }
        });
    return out;
  }

  /**
   * Asks the node to re-admit {@code nodeId} to chunk placement ({@code PlacementService.ChunkMoveReadmit},
   * ADR 0028): the map standing afterwards; fails with {@link NodeAdminException} (code
   * {@code FAILED_PRECONDITION}: not retired; {@code UNAVAILABLE}: not committed, try another node or again).
   */
  public CompletableFuture<PlacementMap> readmitChunkNode(String nodeId, Duration timeout) {
    CompletableFuture<PlacementMap> out = new CompletableFuture<>();
    PlacementServiceGrpc.newStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .chunkMoveReadmit(ChunkMoveReadmitRequest.newBuilder().setNodeId(nodeId).build(), new StreamObserver<>() {
          @Override
          public void onNext(PlacementMap value) {
            out.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            out.completeExceptionally(describe(t, timeout));
          }

          @Override
          public void onCompleted() {
            if (!out.isDone()) {
              out.completeExceptionally(new NodeAdminException(target + " sent no map", "INTERNAL"));
            }
          }
        });
    return out;
  }

  private NodeAdminException describe(Throwable t, Duration timeout) {
    Status s = t instanceof StatusRuntimeException e ? e.getStatus() : Status.fromThrowable(t);
    String detail = s.getDescription() == null ? "" : s.getDescription();
    if (s.getCause() != null && s.getCause().getMessage() != null) {
      detail = detail.isEmpty() ? s.getCause().getMessage() : detail + " (" + s.getCause().getMessage() + ")";
    }
    String what = switch (s.getCode()) {
      case UNAVAILABLE -> "unreachable or refused the TLS handshake" + (detail.isEmpty() ? "" : ": " + detail);
      case DEADLINE_EXCEEDED -> "no answer within " + timeout.toMillis() + " ms";
      case UNIMPLEMENTED -> "does not serve NodeAdmin (older version?)";
      default -> detail.isEmpty() ? s.getCode().name() : detail;
    };
    return new NodeAdminException(what.replace('\n', ' '), s.getCode().name());
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
