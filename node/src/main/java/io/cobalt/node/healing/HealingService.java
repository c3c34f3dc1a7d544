package io.cobalt.node.healing;

import io.cobalt.node.storage.ChunkCopy;
import io.cobalt.node.storage.ChunkId;
import io.cobalt.node.storage.RepairItem;
import io.cobalt.node.storage.RepairQueueStore;
import io.cobalt.node.storage.VerifiedChunkStore;
import io.cobalt.proto.node.v1.HealStatus;
import io.cobalt.proto.node.v1.MetadataQuery;
import io.cobalt.proto.node.v1.QueryResult;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's chunk healing (ADR 0010): owns the repair queue and runs, each on the node's
 * {@code node-<id>-heal-N} threads (3, never a gRPC or Ratis thread), the repair worker (every
 * second, at most {@code repairsPerSecond}), anti-entropy over the partitions this node leads, the
 * scrubber and the chunk GC. Time decisions use the injected {@link Clock}.
 */
public final class HealingService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealingService.class);
  static final long REPAIR_TICK_MILLIS = 1_000;

  /** What healing needs from the rest of the node. */
  public record NodeView(int partitions, IntPredicate leads, Function<MetadataQuery, QueryResult> localQuery,
      Function<MetadataQuery, CompletableFuture<QueryResult>> linearizableQuery) {}

  private final String nodeId;
  private final HealingConfig config;
  private final Clock clock;
  private final VerifiedChunkStore chunks;
  private final PeerChunks peers;
  private final ChunkPlacement placement;
  private final RepairQueue queue;
  private final HealFigures figures = new HealFigures();
  private final RepairWorker repairs;
  private final AntiEntropy antiEntropy;
  private final Scrubber scrubber;
  private final ChunkGc gc;
  private final ScheduledThreadPoolExecutor executor;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicReference<List<String>> retiredSeen = new AtomicReference<>(List.of());

  private HealingService(String nodeId, HealingConfig config, Clock clock, VerifiedChunkStore chunks,
      RepairQueueStore queueStore, PeerChunks peers, NodeView node) {
    this.nodeId = nodeId;
    this.config = config;
    this.clock = clock;
    this.chunks = chunks;
    this.peers = peers;
    this.placement = new ChunkPlacement(new ArrayList<>(config.peerGrpcEndpoints().keySet()),
        config.replicationFactor());
    this.queue = new RepairQueue(queueStore, config.repairQueueMaxItems(), config.repairRetryMinMillis(),
        config.repairRetryMaxMillis());
    this.figures.dropped = queue.dropped;
    this.repairs = new RepairWorker(this);
    this.antiEntropy = new AntiEntropy(this, node);
    this.scrubber = new Scrubber(this);
    this.gc = new ChunkGc(this, node);
    AtomicInteger n = new AtomicInteger();
    this.executor = new ScheduledThreadPoolExecutor(3, r -> {
      Thread t = new Thread(r, "node-" + nodeId + "-heal-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /**
   * Loads the repair queue and starts the loops. The first anti-entropy pass and GC pass run after
   * one interval, the scrubber after one pause.
   */
  public static HealingService start(String nodeId, HealingConfig config, Clock clock, VerifiedChunkStore chunks,
      RepairQueueStore queueStore, PeerChunks peers, NodeView node) {
    HealingService s = new HealingService(nodeId, config, clock, chunks, queueStore, peers, node);
    s.executor.scheduleWithFixedDelay(s.guard("repair", s.repairs::runOnce), REPAIR_TICK_MILLIS, REPAIR_TICK_MILLIS,
        TimeUnit.MILLISECONDS);
    s.executor.scheduleWithFixedDelay(s.guard("anti-entropy", s.antiEntropy::runPass),
        config.antiEntropyIntervalMillis(), config.antiEntropyIntervalMillis(), TimeUnit.MILLISECONDS);
    s.executor.scheduleWithFixedDelay(s.guard("chunk GC", s.gc::runPass), config.gcIntervalMillis(),
        config.gcIntervalMillis(), TimeUnit.MILLISECONDS);
    if (config.scrubBytesPerSecond() > 0) {
      s.executor.scheduleWithFixedDelay(s.guard("scrub", s.scrubber::runPass), config.scrubPauseMillis(),
          config.scrubPauseMillis(), TimeUnit.MILLISECONDS);
    }
    log.info("node {}: chunk healing started ({} queued repairs, replication factor {}, GC delay {} ms)", nodeId,
        s.queue.size(), config.replicationFactor(), config.gcDelayMillis());
    return s;
  }

  private Runnable guard(String what, Runnable task) {
    return () -> {
      if (closed.get()) {
        return;
      }
      try {
        task.run();
      } catch (RuntimeException e) {
        if (!closed.get()) {
          log.warn("node {}: {} round failed: {}", nodeId, what, e.toString());
        }
      }
    };
  }

  /**
   * Queues repairs asked for by a gateway or a peer (bounded; items beyond the queue's bound are
   * dropped). Returns how many were new. Blocking (durable write): call off the event loops.
   */
  public int queueRepairs(List<RepairItem> items) {
    int added = 0;
    for (RepairItem item : items) {
      if (config.peerGrpcEndpoints().containsKey(item.targetNode()) && !placement.isRetired(item.targetNode())
          && queue.offer(item)) {
        added++;
      }
    }
    return added;
  }

  /**
   * Follows the placement map's retired nodes (ADR 0028): {@code retiredNodes} (from memory) is
   * asked whenever a chunk's placement is computed, and every second for a change, which starts an
   * anti-entropy pass at once (re-replication of a retired node's chunks, or moving chunks back to a
   * re-admitted one, does not wait for the next interval).
   */
  public void followRetired(Supplier<List<String>> retiredNodes) {
    placement.followRetired(retiredNodes);
    retiredSeen.set(retiredNodes.get());
    executor.scheduleWithFixedDelay(guard("retired-node watch", () -> {
      List<String> now = retiredNodes.get();
      if (!now.equals(retiredSeen.getAndSet(now))) {
        log.info("node {}: nodes retired from chunk placement now {}: anti-entropy pass", nodeId, now);
        antiEntropy.runPass();
      }
    }), REPAIR_TICK_MILLIS, REPAIR_TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** This node's healing figures, for {@code NodeAdmin.GetNodeStatus}. From memory plus a RocksDB estimate. */
  public HealStatus status() {
    return figures.toProto(true, chunks.estimatedCount());
  }

  public int repairBacklog() {
    return queue.size();
  }

  /** Runs one anti-entropy pass now, on the calling thread (tests, operators). */
  public void runAntiEntropyPass() {
    antiEntropy.runPass();
  }

  /** Runs the repair worker until the queue has no due item or {@code maxRounds} rounds passed (tests). */
  public void drainRepairs(int maxRounds) {
    for (int i = 0; i < maxRounds && !queue.due(clock.millis(), 1).isEmpty(); i++) {
      repairs.runOnce();
    }
  }

  /** Runs one scrub pass now, on the calling thread (tests). */
  public void runScrubPass() {
    scrubber.runPass();
  }

  /** Runs one GC pass now, on the calling thread (tests). */
  public void runGcPass() {
    gc.runPass();
  }

  // ------------------------------------------------------------ for the loops

  String nodeId() {
    return nodeId;
  }

  HealingConfig config() {
    return config;
  }

  Clock clock() {
    return clock;
  }

  VerifiedChunkStore chunks() {
    return chunks;
  }

  ChunkPlacement placement() {
    return placement;
  }

  RepairQueue queue() {
    return queue;
  }

  HealFigures figures() {
    return figures;
  }

  boolean closed() {
    return closed.get();
  }

  /** Which of {@code ids} {@code node} holds; this node answers from its own store. */
  List<Boolean> has(String node, List<ChunkId> ids) {
    if (node.equals(nodeId)) {
      List<Boolean> out = new ArrayList<>(ids.size());
      for (ChunkId id : ids) {
        out.add(chunks.contains(id));
      }
      return out;
    }
    return peers.has(node, ids);
  }

  /** A verified copy from {@code node} (this node: its own store); empty if absent there. */
  Optional<ChunkCopy> fetch(String node, ChunkId id) {
    Optional<ChunkCopy> data = node.equals(nodeId) ? chunks.read(id) : peers.get(node, id);
    if (data.isPresent() && !id.identifies(data.get().data())) {
      throw new PeerChunks.PeerUnavailableException("node " + node + " served bytes that do not hash to "
          + id.hex(), null);
    }
    return data;
  }

  void store(String node, ChunkId id, ChunkCopy data) {
    if (node.equals(nodeId)) {
      chunks.put(id, java.nio.ByteBuffer.wrap(data.data()), data.infrastructureEncrypted());
    } else {
      peers.put(node, id, data);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("node {}: heal threads still running after 10 s", nodeId);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    peers.close();
  }
}
