package io.cobalt.node.storage.rocksdb;

/**
 * Tuning of the node's RocksDB.
 *
 * @param chunkMinBlobSizeBytes chunk values at least this large go to blob files (integrated BlobDB)
 * @param chunkBlobFileSizeBytes target size of one blob file of the {@code chunks} column family
 * @param writeBufferSizeBytes memtable size per column family
 * @param maxBackgroundJobs flush and compaction threads (RocksDB's own pool)
 */
public record RocksStorageConfig(
    long chunkMinBlobSizeBytes, long chunkBlobFileSizeBytes, long writeBufferSizeBytes, int maxBackgroundJobs) {

  public RocksStorageConfig {
    if (chunkMinBlobSizeBytes < 0 || chunkBlobFileSizeBytes <= 0 || writeBufferSizeBytes <= 0 || maxBackgroundJobs <= 0) {
      throw new IllegalArgumentException("invalid RocksDB settings: " + this);
    }
  }

  public static RocksStorageConfig defaults() {
    return new RocksStorageConfig(4 * 1024, 256L * 1024 * 1024, 32L * 1024 * 1024, 2);
  }
}
