package io.cobalt.node.rpc;

import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.node.consensus.GroupStatus;
import io.cobalt.proto.node.v1.GetNodeStatusRequest;
import io.cobalt.proto.node.v1.NodeAdminGrpc;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PartitionGroupStatus;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * gRPC adapter of {@code NodeAdmin}: this node's view of its partition groups, for {@code cobalt
 * admin cluster status}.
 *
 * <p>Who may call: any client with a cluster-CA certificate, like every other node service. The
 * node has no notion of caller identity or grants (the kms-agent has; the node trusts the CA), and
 * the answer is read-only and holds node ids, endpoints and Raft indices only, never a key, a name
 * or customer data. When the node gains per-caller grants, this service should require the admin
 * identity.
 *
 * <p>Runs on the node's RPC workers (never on Netty's event loop) and reads only in-memory Raft
 * state: no disk, no network.
 */
final class NodeAdminRpcService extends NodeAdminGrpc.NodeAdminImplBase {
  private final String nodeId;
  private final Supplier<String> endpoint;
  private final NodeStatusSource source;
  private final StatusCatalogue statuses;

  NodeAdminRpcService(String nodeId, Supplier<String> endpoint, NodeStatusSource source, StatusCatalogue statuses) {
    this.nodeId = nodeId;
    this.endpoint = endpoint;
    this.source = source;
    this.statuses = statuses;
  }

  @Override
  public void getNodeStatus(GetNodeStatusRequest request, StreamObserver<NodeStatus> response) {
    NodeStatus status;
    try {
      status = status();
    } catch (RuntimeException e) {
      response.onError(statuses.toStatus(e, "GetNodeStatus"));
      return;
    }
    response.onNext(status);
    response.onCompleted();
  }

  NodeStatus status() {
    NodeStatus.Builder out = NodeStatus.newBuilder()
        .setNodeId(nodeId)
        .setGrpcEndpoint(endpoint.get())
        .setUptimeMillis(Math.max(0, Duration.between(source.startedAt(), source.clock().instant()).toMillis()))
        .setRepairBacklog(source.repairBacklog().getAsInt())
        .setHeal(source.heal().get());
    PlacementMap placement = source.placement().get();
    if (placement.getVersion() > 0) { // a standalone node has none
      out.setPlacementVersion(placement.getVersion()).setPlacement(placement);
    }
    for (GroupStatus g : source.groups().get()) {
      out.addPartitions(PartitionGroupStatus.newBuilder()
          .setPartition(g.partition())
          .setRole(g.role())
          .setLeader(g.leader())
          .setTerm(g.term())
          .setCommitIndex(g.commitIndex())
          .setAppliedIndex(g.appliedIndex())
          .putAllPeerCommitIndex(g.peerCommitIndex())
          .setSnapshotIndex(g.snapshotIndex())
          .setLogStartIndex(g.logStartIndex())
          .addAllVoters(source.voters().apply(g.partition())));
    }
    return out.build();
  }
}
