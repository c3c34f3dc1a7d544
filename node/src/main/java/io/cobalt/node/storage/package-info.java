/**
 * The node's local persistence: the {@link io.cobalt.node.storage.ChunkStore} and
 * {@link io.cobalt.node.storage.MetadataStore} SPIs, the content-address rules for chunks
 * ({@link io.cobalt.node.storage.VerifiedChunkStore}), and (in {@code storage.rocksdb}, the only
 * package that imports {@code org.rocksdb}) their RocksDB implementation.
 *
 * <h2>RocksDB layout</h2>
 *
 * One RocksDB per node, in {@code <dataDir>/rocksdb}, with column families:
 *
 * <ul>
 *   <li>{@code chunks}: key = chunk id (32 bytes, SHA-256 of the ciphertext), value = the chunk's
 *       ciphertext, or, for an account with infrastructure encryption, that ciphertext sealed again
 *       under the node's infrastructure key (magic "CBIE"; {@link io.cobalt.node.storage.InfrastructureCipher},
 *       docs/adr/0032). Integrated BlobDB ({@code enable_blob_files}, min blob size 4 KiB, 256 MiB blob
 *       files), no compression (ciphertext does not compress). Written with {@code sync=true}.
 *   <li>{@code meta}: the partitions' metadata state. Every key starts with the partition number as
 *       uint32 big-endian ({@code p}), so one partition's state is one contiguous key range that can
 *       be checkpointed or dropped alone:
 *       <ul>
 *         <li>{@code p | 'C' | account | 0x00 | container name} → {@code ContainerRecord}
 *         <li>{@code p | 'B' | account | 0x00 | container_id (16 bytes) | blob name} →
 *             {@code BlobRecord}
 *         <li>{@code p | 'U' | account | 0x00 | container_id | u32 name length | blob name | block id}
 *             → {@code UncommittedBlock}
 *         <li>{@code p | 'N' | account | 0x00 | container_id | u32 name length | blob name |
 *             snapshot time} → {@code BlobRecord} of a blob snapshot (its {@code snapshot} set;
 *             the time is ASCII of one fixed width, so key order is oldest first; ADR 0022)
 *         <li>{@code p | 'a' | 'n' | account | 0x00 | container_id | blob name} →
 *             {@code StagedBlobRecord} of a blob that has uncommitted blocks (first and last staged
 *             time, block count), and {@code p | 'a' | 't' | u64 last staged millis | u32 account
 *             length | account | container_id | blob name} → empty, its time index (ADR 0026)
 *         <li>{@code p | 'T' | account | 0x00 | lower-case table name} → {@code TableRecord}
 *             (original case inside; names are case-insensitive)
 *         <li>{@code p | 'Y' | account | 0x00 | table_id (16 bytes) | PartitionKey | 0x00 | RowKey}
 *             → {@code EntityRecord}: the keys are plaintext (Azure orders and ranges by them), every
 *             other property is ciphertext sealed by the gateway
 *         <li>{@code p | 'Q' | account | 0x00 | queue name} → {@code QueueRecord}
 *         <li>{@code p | 'M' | account | 0x00 | queue_id (16 bytes) | u64 sequence} →
 *             {@code MessageRecord}: key order is insertion order; the body is ciphertext sealed by
 *             the gateway (docs/adr/0009-queue-messages.md)
 *         <li>{@code p | 'I'} → applied index (uint64 big-endian)
 *       </ul>
 *       Strings are UTF-8. Account names never contain 0x00 (the state machine refuses them), so
 *       {@code account | 0x00} delimits an account exactly. Listing is a prefix scan; names come out in
 *       UTF-8 byte order (= Unicode code point order). Container and blob names are plaintext keys
 *       (DESIGN §5.3: they must stay ordered for listings); the values hold only ciphertext references
 *       (chunk ids) and wrapped keys, never plaintext data or a plaintext key. Blobs are keyed by the
 *       container's random {@code container_id}, not its name, so a container deleted and created
 *       again does not see the old blobs. Each applied command writes its state change and the
 *       partition's applied index in one {@code WriteBatch}: synced on a standalone node; on a
 *       Raft node written to the WAL without fsync, since the Raft log (fsynced on a majority) is
 *       the durable record and replay from the stored applied index restores a lost tail
 *       ({@code RocksStorage#metadataBehindLog}, docs/adr/0004-raft-partitions.md).
 *   <li>{@code heal}: chunk healing bookkeeping (docs/adr/0010-chunk-healing.md):
 *       <ul>
 *         <li>{@code 'W' | chunk id} → the chunk's node-local last-written time (uint64 big-endian
 *             epoch millis), written in the same batch as the chunk and refreshed by every repeated
 *             write; chunk GC deletes only chunks last written longer ago than its delay
 *         <li>{@code 'Q' | target node id | 0x00 | chunk id} → {@code HealRepairItem}: the durable
 *             repair queue
 *       </ul>
 *   <li>{@code default}: unused (RocksDB requires it).
 * </ul>
 */
package io.cobalt.node.storage;
