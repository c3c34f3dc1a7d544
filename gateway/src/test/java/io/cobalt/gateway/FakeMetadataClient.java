package io.cobalt.gateway;

import io.cobalt.gateway.nodeclient.BackendUnavailableException;
import io.cobalt.gateway.nodeclient.MetadataClient;
import io.cobalt.proto.node.v1.BlobRecord;
import io.cobalt.proto.node.v1.CommandResult;
import io.cobalt.proto.node.v1.MetadataCommand;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import io.cobalt.node.partition.PartitionStateMachine;
import io.cobalt.node.storage.InMemoryMetadataStore;
import io.cobalt.node.storage.StateChange;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The nodes' metadata semantics for gateway tests: every command and query goes to the node's real
 * {@link PartitionStateMachine} over an {@link InMemoryMetadataStore}, so the fake cannot drift from
 * the node. Stricter than a node: a partition must always be addressed to the same node, every
 * command must carry a request id, and a Put Blob must carry a manifest.
 */
final class FakeMetadataClient implements MetadataClient {
  static final int PARTITIONS = 64;

  private final Executor executor;
  private final Map<Integer, String> ownerSeen = new ConcurrentHashMap<>();
  private final InMemoryMetadataStore store = new InMemoryMetadataStore();
  private final PartitionStateMachine machine = new PartitionStateMachine(store, PARTITIONS);
  private final Map<Integer, Long> nextIndex = new HashMap<>();
  final Set<String> down = ConcurrentHashMap.newKeySet();
  private final java.util.List<MetadataCommand> commands = new java.util.ArrayList<>();

  /** Runs once just before the next CommitBlockList is applied (to stage a race). */
  volatile java.util.function.Consumer<MetadataCommand> beforeCommit;

  /** Runs once just before the next AppendBlock is applied (to stage a race with another append). */
  volatile java.util.function.Consumer<MetadataCommand> beforeAppend;

  /** Applies {@code c} as a node would, outside any request (e.g. the rewrap job's DekSwaps). */
  synchronized CommandResult applyDirect(MetadataCommand c) {
    long index = nextIndex.merge(c.getPartition(), 1L, Long::sum);
    return machine.apply(index, c);
  }

  synchronized QueryResult queryDirect(MetadataQuery q) {
    return machine.query(q);
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

  private void owner(String nodeId, int p) {
    if (down.contains(nodeId)) {
      throw new BackendUnavailableException(nodeId + " is down");
    }
    String previous = ownerSeen.putIfAbsent(p, nodeId);
    if (previous != null && !previous.equals(nodeId)) {
      throw new AssertionError("partition " + p + " addressed to " + nodeId + " and to " + previous);
    }
  }

  private synchronized CommandResult apply(String nodeId, MetadataCommand c) {
    if (c.getRequestId().isEmpty()) {
      throw new AssertionError("command without request id");
    }
    owner(nodeId, c.getPartition());
    if (c.hasPutBlob()) {
      BlobRecord b = c.getPutBlob().getBlob();
      boolean emptyAppendBlob = b.getBlobType().equals("AppendBlob") && b.getStreamsCount() == 0;
      if (b.getManifestMac().isEmpty() || b.getDeksCount() == 0 || (b.getStreamsCount() == 0 && !emptyAppendBlob)) {
        throw new AssertionError("blob record without manifest");
      }
    }
    if (c.hasCommitBlockList()) {
      BlobRecord b = c.getCommitBlockList().getBlob();
      if (b.getManifestMac().isEmpty() || b.getDeksCount() == 0) {
        throw new AssertionError("block list without manifest MAC or key");
      }
    }
    if (c.hasAppendBlock()) {
      if (c.getAppendBlock().getStream().getChunksCount() == 0 || c.getAppendBlock().getManifestMac().isEmpty()) {
        throw new AssertionError("append without chunks or manifest MAC");
      }
      java.util.function.Consumer<MetadataCommand> appendHook = beforeAppend;
      if (appendHook != null) {
        beforeAppend = null;
        appendHook.accept(c);
      }
    }
    java.util.function.Consumer<MetadataCommand> hook = beforeCommit;
    if (c.hasCommitBlockList() && hook != null) {
      beforeCommit = null;
      hook.accept(c);
    }
    long index = nextIndex.merge(c.getPartition(), 1L, Long::sum);
    commands.add(c);
    return machine.apply(index, c);
  }

  private synchronized QueryResult read(String nodeId, MetadataQuery q) {
    owner(nodeId, q.getPartition());
    if (q.hasListContainers() && q.getListContainers().getMaxResults() == 0
        || q.hasListBlobs() && q.getListBlobs().getMaxResults() == 0) {
      throw new AssertionError("max_results 0");
    }
    return machine.query(q);
  }

  /** Every stored entity record, of every partition (what the nodes would hold). */
  synchronized java.util.List<io.cobalt.proto.node.v1.EntityRecord> allEntities() {
    java.util.List<io.cobalt.proto.node.v1.EntityRecord> all = new java.util.ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      all.addAll(store.allEntities(p));
    }
    return all;
  }

  /** Every command submitted so far, in order (to check what reached the nodes). */
  synchronized java.util.List<MetadataCommand> commands() {
    return java.util.List.copyOf(commands);
  }

  /** Replaces every stored blob record (to simulate tampering with metadata). */
  synchronized void tamper(java.util.function.UnaryOperator<BlobRecord> change) {
    for (int p = 0; p < PARTITIONS; p++) {
      for (BlobRecord b : store.allBlobs(p)) {
        long index = nextIndex.merge(p, 1L, Long::sum);
        store.commit(p, index, new StateChange.UpdateBlob(change.apply(b)));
      }
    }
  }
}
