package io.cobalt.cli.admin.rpc;

import com.google.protobuf.ByteString;
import io.cobalt.cli.admin.rewrap.RewrapJob;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.nodeclient.NodeChannels;
import io.cobalt.gateway.placement.RendezvousPlacement;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.DekScan;
import io.cobalt.proto.node.v1.DekSwaps;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.MetadataServiceGrpc;
import io.cobalt.proto.node.v1.QueryResult;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The rewrap job's way to the partitions: the nodes' {@code MetadataService} over mutual TLS. A
 * partition is asked at its voters in placement order (any voter serves it, whoever leads); the
 * next is tried when one fails. No gRPC type leaves here.
 */
public final class MetadataPartitionsClient implements RewrapJob.Partitions, AutoCloseable {
  private static final long DEADLINE_SECONDS = 30;

  /** A node: its id (as in the placement) and gRPC address. */
  public record Node(String id, String host, int port) {}

  private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();
  private final RendezvousPlacement placement;
  private final int partitions;

  public MetadataPartitionsClient(List<Node> nodes, int partitions, TlsMaterial tls) {
    if (nodes.isEmpty() || partitions < 1) {
      throw new IllegalArgumentException("need nodes and a partition count");
    }
    this.partitions = partitions;
    for (Node n : nodes) {
      channels.put(n.id(), NodeChannels.open(n.host(), n.port(), tls));
    }
    this.placement = new RendezvousPlacement(List.copyOf(channels.keySet()), partitions,
        Math.min(3, channels.size()));
  }

  @Override
  public int count() {
    return partitions;
  }

  @Override
  public QueryResult scan(int partition, ByteString after, int maxResults) throws IOException {
    MetadataQuery q = MetadataQuery.newBuilder().setPartition(partition)
        .setDekScan(DekScan.newBuilder().setAfter(after).setMaxResults(maxResults)).build();
    return call(partition, ch -> MetadataServiceGrpc.newBlockingStub(ch)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).query(q));
  }

  @Override
  public CommandResult swap(int partition, DekSwaps swaps) throws IOException {
    // A swap is idempotent in effect (a second apply finds the new bytes and changes nothing), so
    // trying another voter after a failure is safe.
    MetadataCommand c = MetadataCommand.newBuilder().setPartition(partition)
        .setRequestId("rewrap-" + UUID.randomUUID()).setDekSwaps(swaps).build();
    return call(partition, ch -> MetadataServiceGrpc.newBlockingStub(ch)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).submit(c));
  }

  private interface Rpc<T> {
    T call(ManagedChannel channel);
  }

  private <T> T call(int partition, Rpc<T> rpc) throws IOException {
    List<String> order = new ArrayList<>(placement.metadataNodesOf(partition));
    for (String id : channels.keySet()) {
      if (!order.contains(id)) {
        order.add(id);
      }
    }
    StatusRuntimeException last = null;
    for (String id : order) {
      try {
        return rpc.call(channels.get(id));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT) {
          throw new IOException("partition " + partition + " refused the request: " + e.getStatus().getDescription());
        }
        last = e;
      }
    }
    throw new IOException("no voter of partition " + partition + " answered: "
        + (last == null ? "no nodes" : last.getStatus().getCode() + " " + last.getStatus().getDescription()));
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
