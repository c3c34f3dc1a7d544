package io.cobalt.node.healing;

import java.util.Map;
import java.util.TreeMap;

/**
 * Chunk healing settings of one node (ADR 0010; role-config keys in docs/operations.md).
 *
 * @param peerGrpcEndpoints every node's gRPC endpoint ({@code host:port}), this one included, by
 *     node id; the set of node ids is the chunk placement's. Empty: healing is off (standalone node)
 * @param replicationFactor chunk replicas per chunk (the gateway's, 1..#nodes)
 * @param antiEntropyIntervalMillis pause between anti-entropy passes
 * @param antiEntropyBatchRecords manifests (blobs or staged blocks) read per batch, 1..1024
 * @param repairQueueMaxItems the repair queue's bound; items beyond it are dropped (and counted)
 * @param repairsPerSecond the repair worker's rate bound
 * @param repairRetryMinMillis first back-off after a failed repair; doubles up to the max
 * @param repairRetryMaxMillis longest back-off
 * @param scrubBytesPerSecond the scrubber's read rate bound; 0 turns the scrubber off
 * @param scrubPauseMillis pause between scrub passes
 * @param gcDelayMillis an unreferenced chunk is deleted only once it was last written longer ago
 *     than this; an upload must commit its manifest within this delay
 * @param gcIntervalMillis pause between GC passes
 * @param gcBatch chunk ids checked per GC batch (one reference query per partition), 1..1024
 */
public record HealingConfig(Map<String, String> peerGrpcEndpoints, int replicationFactor,
    long antiEntropyIntervalMillis, int antiEntropyBatchRecords, int repairQueueMaxItems, int repairsPerSecond,
    long repairRetryMinMillis, long repairRetryMaxMillis, long scrubBytesPerSecond, long scrubPauseMillis,
    long gcDelayMillis, long gcIntervalMillis, int gcBatch) {

  public static final int DEFAULT_REPLICATION_FACTOR = 3;
  public static final long DEFAULT_ANTI_ENTROPY_INTERVAL_MILLIS = 10 * 60_000L;
  public static final int DEFAULT_ANTI_ENTROPY_BATCH_RECORDS = 256;
  public static final int DEFAULT_REPAIR_QUEUE_MAX_ITEMS = 100_000;
  public static final int DEFAULT_REPAIRS_PER_SECOND = 20;
  public static final long DEFAULT_REPAIR_RETRY_MIN_MILLIS = 1_000;
  public static final long DEFAULT_REPAIR_RETRY_MAX_MILLIS = 5 * 60_000L;
  public static final long DEFAULT_SCRUB_BYTES_PER_SECOND = 8L * 1024 * 1024;
  public static final long DEFAULT_SCRUB_PAUSE_MILLIS = 24 * 3_600_000L;
  public static final long DEFAULT_GC_DELAY_MILLIS = 6 * 3_600_000L;
  public static final long DEFAULT_GC_INTERVAL_MILLIS = 30 * 60_000L;
  public static final int DEFAULT_GC_BATCH = 512;

  public HealingConfig {
    peerGrpcEndpoints = Map.copyOf(new TreeMap<>(peerGrpcEndpoints));
    if (!peerGrpcEndpoints.isEmpty() && (replicationFactor < 1 || replicationFactor > peerGrpcEndpoints.size())) {
      throw new IllegalArgumentException("replicationFactor must be 1.." + peerGrpcEndpoints.size() + ": "
          + replicationFactor);
    }
    for (Map.Entry<String, String> e : peerGrpcEndpoints.entrySet()) {
      String v = e.getValue();
      int colon = v.lastIndexOf(':');
      if (colon <= 0 || colon == v.length() - 1) {
        throw new IllegalArgumentException("gRPC endpoint of " + e.getKey() + " must be host:port: " + v);
      }
      int port = Integer.parseInt(v.substring(colon + 1));
      if (port <= 0 || port > 65535) {
        throw new IllegalArgumentException("gRPC port of " + e.getKey() + " out of range: " + v);
      }
    }
    positive("antiEntropyIntervalMillis", antiEntropyIntervalMillis, 100, 7 * 86_400_000L);
    positive("antiEntropyBatchRecords", antiEntropyBatchRecords, 1, 1024);
    positive("repairQueueMaxItems", repairQueueMaxItems, 1, 10_000_000);
    positive("repairsPerSecond", repairsPerSecond, 1, 10_000);
    positive("repairRetryMinMillis", repairRetryMinMillis, 10, 3_600_000);
    positive("repairRetryMaxMillis", repairRetryMaxMillis, repairRetryMinMillis, 86_400_000L);
    positive("scrubBytesPerSecond", scrubBytesPerSecond, 0, 10L * 1024 * 1024 * 1024);
    positive("scrubPauseMillis", scrubPauseMillis, 100, 30 * 86_400_000L);
    positive("gcDelayMillis", gcDelayMillis, 1_000, 365 * 86_400_000L);
    positive("gcIntervalMillis", gcIntervalMillis, 100, 7 * 86_400_000L);
    positive("gcBatch", gcBatch, 1, 1024);
  }

  private static void positive(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "]: " + value);
    }
  }

  /** Healing off: a standalone node, or one that does not know its peers' gRPC endpoints. */
  public static HealingConfig off() {
    return defaults(Map.of(), DEFAULT_REPLICATION_FACTOR);
  }

  /** The defaults, with the cluster's endpoints and replication factor. */
  public static HealingConfig defaults(Map<String, String> peerGrpcEndpoints, int replicationFactor) {
    return new HealingConfig(peerGrpcEndpoints, replicationFactor, DEFAULT_ANTI_ENTROPY_INTERVAL_MILLIS,
        DEFAULT_ANTI_ENTROPY_BATCH_RECORDS, DEFAULT_REPAIR_QUEUE_MAX_ITEMS, DEFAULT_REPAIRS_PER_SECOND,
        DEFAULT_REPAIR_RETRY_MIN_MILLIS, DEFAULT_REPAIR_RETRY_MAX_MILLIS, DEFAULT_SCRUB_BYTES_PER_SECOND,
        DEFAULT_SCRUB_PAUSE_MILLIS, DEFAULT_GC_DELAY_MILLIS, DEFAULT_GC_INTERVAL_MILLIS, DEFAULT_GC_BATCH);
  }

  public boolean enabled() {
    return !peerGrpcEndpoints.isEmpty();
  }

  public HealingConfig withAntiEntropyIntervalMillis(long v) {
    return new HealingConfig(peerGrpcEndpoints, replicationFactor, v, antiEntropyBatchRecords, repairQueueMaxItems,
        repairsPerSecond, repairRetryMinMillis, repairRetryMaxMillis, scrubBytesPerSecond, scrubPauseMillis,
        gcDelayMillis, gcIntervalMillis, gcBatch);
  }

  public HealingConfig withRepairRetryMillis(long min, long max) {
    return new HealingConfig(peerGrpcEndpoints, replicationFactor, antiEntropyIntervalMillis, antiEntropyBatchRecords,
        repairQueueMaxItems, repairsPerSecond, min, max, scrubBytesPerSecond, scrubPauseMillis, gcDelayMillis,
        gcIntervalMillis, gcBatch);
  }

  public HealingConfig withScrub(long bytesPerSecond, long pauseMillis) {
    return new HealingConfig(peerGrpcEndpoints, replicationFactor, antiEntropyIntervalMillis, antiEntropyBatchRecords,
        repairQueueMaxItems, repairsPerSecond, repairRetryMinMillis, repairRetryMaxMillis, bytesPerSecond,
        pauseMillis, gcDelayMillis, gcIntervalMillis, gcBatch);
  }

  public HealingConfig withGc(long delayMillis, long intervalMillis) {
    return new HealingConfig(peerGrpcEndpoints, replicationFactor, antiEntropyIntervalMillis, antiEntropyBatchRecords,
        repairQueueMaxItems, repairsPerSecond, repairRetryMinMillis, repairRetryMaxMillis, scrubBytesPerSecond,
        scrubPauseMillis, delayMillis, intervalMillis, gcBatch);
  }
}
