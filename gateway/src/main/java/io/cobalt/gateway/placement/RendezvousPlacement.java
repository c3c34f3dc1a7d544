package io.cobalt.gateway.placement;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Where things live. Keys hash into {@code partitions} fixed logical partitions with the first 4
 * bytes of SHA-256 (stable across JVMs and releases, unlike {@code String.hashCode}). A partition's
 * metadata is a Raft group whose voters are the first {@link #METADATA_VOTERS} nodes in rendezvous
 * (HRW) order for {@code "partition/" + p} — the nodes choose them with the same hash
 * ({@code io.cobalt.node.consensus.PartitionGroups}) — and a chunk's replicas are the first
 * {@code replicationFactor} nodes in HRW order for its id. Adding or removing a node moves only the keys that node wins or held.
 * Immutable and thread-safe.
 */
public final class RendezvousPlacement {
  private final List<String> nodeIds;
  private final int partitions;
  private final int replicationFactor;

  public RendezvousPlacement(List<String> nodeIds, int partitions, int replicationFactor) {
    this.nodeIds = List.copyOf(nodeIds);
    if (this.nodeIds.isEmpty()) {
      throw new IllegalArgumentException("no nodes");
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1");
    }
    if (replicationFactor < 1 || replicationFactor > this.nodeIds.size()) {
      throw new IllegalArgumentException("replicationFactor must be 1..#nodes");
    }
    this.partitions = partitions;
    this.replicationFactor = replicationFactor;
  }

  /** The configured node ids. */
  public List<String> nodeIds() {
    return nodeIds;
  }

  public int partitions() {
    return partitions;
  }

  /** Partition of a container's record: hash(account + "/" + container). */
  public int containerPartition(String account, String container) {
    return partitionOf(account + "/" + container);
  }

  /**
   * Partition of an account's service properties (Blob, Queue and Table, each its own record):
   * hash(account + "/$blobservice"); no
   * container name has a '$' but $root, so no container shares the key.
   */
  public int servicePropertiesPartition(String account) {
    return partitionOf(account + "/$blobservice");
  }

  /** Partition of a blob's record: hash(account + "/" + container + "/" + blob). */
  public int blobPartition(String account, String container, String blob) {
    return partitionOf(account + "/" + container + "/" + blob);
  }

  /** Partition of a table's record: hash(account + "/$table/" + lower-case name); names are case-insensitive. */
  public int tablePartition(String account, String table) {
    return partitionOf(account + "/$table/" + table.toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * Partition of a queue's record and all its messages (DESIGN §6.2): hash(account + "/$queue/" +
   * name); queue names are lower-case.
   */
  public int queuePartition(String account, String queue) {
    return partitionOf(account + "/$queue/" + queue);
  }

  /**
   * Partition of an entity (DESIGN §6.2: by its PartitionKey): hash(account + "/$table/" +
   * lower-case table name + "/" + PartitionKey). One PartitionKey's entities share a partition.
   */
  public int entityPartition(String account, String table, String partitionKey) {
    return partitionOf(account + "/$table/" + table.toLowerCase(java.util.Locale.ROOT) + "/" + partitionKey);
  }

  int partitionOf(String key) {
    byte[] digest = sha256(key.getBytes(StandardCharsets.UTF_8));
    long first4 = ByteBuffer.wrap(digest, 0, 4).getInt() & 0xFFFF_FFFFL;
    return (int) (first4 % partitions);
  }

  /** Voters of each partition's Raft group (fewer when the cluster is smaller). */
  public static final int METADATA_VOTERS = 3;

  /** The first node to ask for a partition's metadata (the first of {@link #metadataNodesOf}). */
  public String ownerOf(int partition) {
    return metadataNodesOf(partition).get(0);
  }

  /**
   * The voters of a partition's Raft group, in the order the gateway tries them: any voter serves
   * the partition (its Raft client finds the leader), so a lost node is skipped.
   */
  public List<String> metadataNodesOf(int partition) {
    if (partition < 0 || partition >= partitions) {
      throw new IllegalArgumentException("no partition " + partition);
    }
    byte[] key = ("partition/" + partition).getBytes(StandardCharsets.UTF_8);
    List<String> ranked = rank(key);
    return List.copyOf(ranked.subList(0, Math.min(METADATA_VOTERS, ranked.size())));
  }

  /** The nodes that hold a chunk's replicas, in the order readers should try them. */
  public List<String> replicasOf(byte[] chunkId) {
    Objects.requireNonNull(chunkId, "chunkId");
    return rank(chunkId).subList(0, replicationFactor);
  }

  /**
   * A chunk's placement targets when the nodes in {@code retired} are left out (ADR 0028): the
   * first {@code replicationFactor} of the others in rendezvous order of the chunk id (fewer if
   * fewer are left). The nodes compute the same ({@code io.cobalt.node.healing.ChunkPlacement}).
   */
  public List<String> replicasOf(byte[] chunkId, Collection<String> retired) {
    Objects.requireNonNull(chunkId, "chunkId");
    if (retired.isEmpty()) {
      return replicasOf(chunkId);
    }
    List<String> out = new ArrayList<>(replicationFactor);
    for (String node : rank(chunkId)) {
      if (out.size() == replicationFactor) {
        break;
      }
      if (!retired.contains(node)) {
        out.add(node);
      }
    }
    return out;
  }

  /** Every configured node in rendezvous order of the chunk id (retired ones included). */
  public List<String> chunkRank(byte[] chunkId) {
    Objects.requireNonNull(chunkId, "chunkId");
    return rank(chunkId);
  }

  private List<String> rank(byte[] key) {
    record Weighted(String nodeId, long weight) {}
    List<Weighted> weighted = new ArrayList<>(nodeIds.size());
    for (String node : nodeIds) {
      MessageDigest md = newSha256();
      md.update(node.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(key);
      weighted.add(new Weighted(node, ByteBuffer.wrap(md.digest(), 0, 8).getLong()));
    }
    weighted.sort(
        Comparator.comparingLong(Weighted::weight)
            .reversed()
            .thenComparing(Weighted::nodeId));
    List<String> out = new ArrayList<>(weighted.size());
    for (Weighted w : weighted) {
      out.add(w.nodeId());
    }
    return out;
  }

  private static byte[] sha256(byte[] data) {
    return newSha256().digest(data);
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
    }
  }
}
