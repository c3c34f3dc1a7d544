package io.cobalt.gateway;

import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.gateway.nodeclient.MetadataClient;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.CommandStatus;
import io.cobalt.proto.node.v1.ContainerRecord;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.util.HexFormat;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Per-partition metadata state machines with the nodes' semantics (CreateContainer →
 * ALREADY_EXISTS, deletes → NOT_FOUND or OK with the previous record, PutBlob replaces, List*
 * strictly after the marker, at most max_results, truncated when more remain, ListBlobs without
 * streams/deks/mac). Stricter than a node: a partition must always be addressed to the same node,
 * and every command must carry a request id.
 */
final class FakeMetadataClient implements MetadataClient {
  private final Executor executor;
  private final Map<Integer, String> ownerSeen = new ConcurrentHashMap<>();
  private final Map<Integer, Partition> partitions = new ConcurrentHashMap<>();
  final Set<String> down = ConcurrentHashMap.newKeySet();

  private static final class Partition {
    final NavigableMap<String, ContainerRecord> containers = new TreeMap<>(); // account \0 name
    final NavigableMap<String, BlobRecord> blobs = new TreeMap<>(); // account \0 containerId \0 name
  }

  FakeMetadataClient(Executor executor) {
    this.executor = executor;
  }

  @Override
  public CompletableFuture<CommandResult> submit(String nodeId, MetadataCommand c) {
    return CompletableFuture.supplyAsync(() -> apply(nodeId, c), executor);
  }

  @Override
  public CompletableFuture<QueryResult> query(String nodeId, MetadataQuery q) {
    return CompletableFuture.supplyAsync(() -> read(nodeId, q), executor);
  }

  private Partition partition(String nodeId, int p) {
    if (down.contains(nodeId)) {
      throw new BackendUnavailableException(nodeId + " is down");
    }
    String previous = ownerSeen.putIfAbsent(p, nodeId);
    if (previous != null && !previous.equals(nodeId)) {
      throw new AssertionError("partition " + p + " addressed to " + nodeId + " and to " + previous);
    }
    return partitions.computeIfAbsent(p, x -> new Partition());
  }

  private synchronized CommandResult apply(String nodeId, MetadataCommand c) {
    if (c.getRequestId().isEmpty()) {
      throw new AssertionError("command without request id");
    }
    Partition p = partition(nodeId, c.getPartition());
    CommandResult.Builder r = CommandResult.newBuilder().setStatus(CommandStatus.OK);
    switch (c.getCommandCase()) {
      case CREATE_CONTAINER -> {
        ContainerRecord rec = c.getCreateContainer().getContainer();
        String key = rec.getAccount() + "\0" + rec.getName();
        if (p.containers.containsKey(key)) {
          return r.setStatus(CommandStatus.ALREADY_EXISTS).build();
        }
        p.containers.put(key, rec);
        r.setContainer(rec);
      }
      case DELETE_CONTAINER -> {
        ContainerRecord prev =
            p.containers.remove(c.getDeleteContainer().getAccount() + "\0" + c.getDeleteContainer().getName());
        if (prev == null) {
          return r.setStatus(CommandStatus.NOT_FOUND).build();
        }
        r.setContainer(prev);
      }
      case PUT_BLOB -> {
        BlobRecord b = c.getPutBlob().getBlob();
        if (b.getManifestMac().isEmpty() || b.getDeksCount() == 0 || b.getStreamsCount() == 0) {
          throw new AssertionError("blob record without manifest");
        }
        BlobRecord prev = p.blobs.put(blobKey(b.getAccount(), b.getContainerId().toByteArray(), b.getName()), b);
        if (prev != null) {
          r.setBlob(prev);
        }
      }
      case DELETE_BLOB -> {
        var d = c.getDeleteBlob();
        BlobRecord prev = p.blobs.remove(blobKey(d.getAccount(), d.getContainerId().toByteArray(), d.getName()));
        if (prev == null) {
          return r.setStatus(CommandStatus.NOT_FOUND).build();
        }
        r.setBlob(prev);
      }
      default -> throw new AssertionError("unknown command " + c.getCommandCase());
    }
    return r.build();
  }

  private synchronized QueryResult read(String nodeId, MetadataQuery q) {
    Partition p = partition(nodeId, q.getPartition());
    QueryResult.Builder r = QueryResult.newBuilder();
    switch (q.getQueryCase()) {
      case GET_CONTAINER -> {
        ContainerRecord c = p.containers.get(q.getGetContainer().getAccount() + "\0" + q.getGetContainer().getName());
        if (c != null) {
          r.addContainers(c);
        }
      }
      case LIST_CONTAINERS -> {
        var l = q.getListContainers();
        if (l.getMaxResults() == 0) {
          throw new AssertionError("max_results 0");
        }
        for (ContainerRecord c : p.containers.tailMap(l.getAccount() + "\0", false).values()) {
          if (!c.getAccount().equals(l.getAccount())) {
            break;
          }
          if (!c.getName().startsWith(l.getPrefix()) || c.getName().compareTo(l.getMarker()) <= 0) {
            continue;
          }
          if (r.getContainersCount() == l.getMaxResults()) {
            r.setTruncated(true);
            break;
          }
          r.addContainers(c);
        }
      }
      case GET_BLOB -> {
        var g = q.getGetBlob();
        BlobRecord b = p.blobs.get(blobKey(g.getAccount(), g.getContainerId().toByteArray(), g.getName()));
        if (b != null) {
          r.addBlobs(b);
        }
      }
      case LIST_BLOBS -> {
        var l = q.getListBlobs();
        String start = l.getAccount() + "\0" + HexFormat.of().formatHex(l.getContainerId().toByteArray()) + "\0";
        for (Map.Entry<String, BlobRecord> e : p.blobs.tailMap(start, false).entrySet()) {
          if (!e.getKey().startsWith(start)) {
            break;
          }
          BlobRecord b = e.getValue();
          if (!b.getName().startsWith(l.getPrefix()) || b.getName().compareTo(l.getMarker()) <= 0) {
            continue;
          }
          if (r.getBlobsCount() == l.getMaxResults()) {
            r.setTruncated(true);
            break;
          }
          r.addBlobs(b.toBuilder().clearStreams().clearDeks().clearManifestMac());
        }
      }
      default -> throw new AssertionError("unknown query " + q.getQueryCase());
    }
    return r.build();
  }

  /** Replaces a stored blob record (to simulate tampering with metadata). */
  synchronized void tamper(java.util.function.UnaryOperator<BlobRecord> change) {
    for (Partition p : partitions.values()) {
      p.blobs.replaceAll((k, v) -> change.apply(v));
    }
  }

  private static String blobKey(String account, byte[] containerId, String name) {
    return account + "\0" + HexFormat.of().formatHex(containerId) + "\0" + name;
  }
}
