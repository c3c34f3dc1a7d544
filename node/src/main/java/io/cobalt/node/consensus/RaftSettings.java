package io.cobalt.node.consensus;

/**
 * Tuning of the node's Raft server and clients (Apache Ratis). Defaults follow
 * {@code research/ratis.md} §8, measured on 2-CPU machines; the reasons are in
 * docs/adr/0004-raft-partitions.md.
 *
 * @param votersPerPartition voters of each partition's group (on distinct nodes; fewer if the
 *     cluster is smaller)
 * @param electionTimeoutMinMillis lower bound of the randomized election timeout
 *     ({@code raft.server.rpc.timeout.min}); heartbeats go at half of it. The default 150 ms causes
 *     election storms with many groups on a loaded small machine
 * @param electionTimeoutMaxMillis upper bound ({@code raft.server.rpc.timeout.max})
 * @param firstElectionTimeoutMinMillis election timeout of a group's first election after the
 *     server starts ({@code raft.server.rpc.first-election.timeout.min}): short, so a starting
 *     cluster has leaders sooner; pre-vote keeps a restarted node from disturbing a live leader
 * @param firstElectionTimeoutMaxMillis upper bound of the first election timeout
 * @param serverRequestTimeoutMillis server-to-server request timeout ({@code raft.server.rpc.request.timeout})
 * @param clientRequestTimeoutMillis one attempt of a client request ({@code raft.client.rpc.request.timeout})
 * @param clientRetrySleepMillis pause between client attempts (NotLeader, no leader yet, peer down)
 * @param commandTimeoutMillis a command or query gives up after this long in total and fails as
 *     retriable; below the gateway's 10 s call deadline so the gateway can try another node
 * @param readTimeoutMillis how long a linearizable read may wait for the leader's read index to be
 *     applied ({@code raft.server.read.timeout})
 * @param logWriteBufferBytes per-group direct buffer of the log writer (Ratis' default is 8 MiB per
 *     group replica); it also caps one log entry, so it must hold the largest command the state
 *     machine accepts ({@link #MAX_ENTRY_BYTES})
 * @param appenderBufferByteLimit bytes of entries per AppendEntries call; must stay below
 *     {@code logWriteBufferBytes - 8} and hold the largest entry too
 * @param logSegmentPreallocatedBytes disk preallocated for each open log segment
 * @param snapshotEveryEntries a group writes a snapshot (its partition's image) after this many log
 *     entries since the last one, then purges its log up to it
 * @param logSegmentMaxBytes a log segment is closed at this size; only closed segments are purged
 * @param purgeGapEntries the log is purged only once this many entries precede the snapshot
 */
public record RaftSettings(
    int votersPerPartition,
    long electionTimeoutMinMillis,
    long electionTimeoutMaxMillis,
    long firstElectionTimeoutMinMillis,
    long firstElectionTimeoutMaxMillis,
    long serverRequestTimeoutMillis,
    long clientRequestTimeoutMillis,
    long clientRetrySleepMillis,
    long commandTimeoutMillis,
    long readTimeoutMillis,
    long logWriteBufferBytes,
    long appenderBufferByteLimit,
    long logSegmentPreallocatedBytes,
    long snapshotEveryEntries,
    long logSegmentMaxBytes,
    int purgeGapEntries) {

  public RaftSettings {
    if (votersPerPartition < 1 || electionTimeoutMinMillis <= 0 || electionTimeoutMaxMillis < electionTimeoutMinMillis
        || firstElectionTimeoutMinMillis <= 0 || firstElectionTimeoutMaxMillis < firstElectionTimeoutMinMillis
        || serverRequestTimeoutMillis <= 0 || clientRequestTimeoutMillis <= 0 || clientRetrySleepMillis < 0
        || commandTimeoutMillis <= 0 || readTimeoutMillis <= 0 || logSegmentPreallocatedBytes <= 0
        || snapshotEveryEntries < 1 || logSegmentMaxBytes < logSegmentPreallocatedBytes || purgeGapEntries < 1) {
      throw new IllegalArgumentException("invalid Raft settings: " + this);
    }
    if (appenderBufferByteLimit <= 0 || logWriteBufferBytes < appenderBufferByteLimit + 8) {
      throw new IllegalArgumentException("logWriteBufferBytes must be >= appenderBufferByteLimit + 8: " + this);
    }
  }

  /**
   * The largest log entry the defaults carry, with its framing. An entry larger than the log's write
   * buffer or the appender's byte limit never commits (Ratis retries it until the client's deadline),
   * so the defaults size both for it, and {@code RaftCommandLog} refuses a larger command at once
   * (INVALID_ARGUMENT) instead. It holds the largest entity the state machine accepts (2 MiB + 1 KiB
   * sealed) and entity-group transactions up to this size; a larger transaction (Azure allows 4 MiB
   * request bodies) is refused. Cost: 3 MiB of direct memory per group replica (48 MiB for a node
   * with 16 partition replicas; 144 MiB for `cobalt dev`, which hosts three nodes' replicas).
   */
  public static final long MAX_ENTRY_BYTES = 2L * 1024 * 1024 + 512 * 1024 - 64 * 1024;

  public static RaftSettings defaults() {
    return new RaftSettings(3, 1_000, 2_000, 300, 800, 3_000, 3_000, 200, 8_000, 5_000,
        3L * 1024 * 1024, MAX_ENTRY_BYTES + 64 * 1024, 1024 * 1024, 10_000, 4L * 1024 * 1024, 1024);
  }

  /**
   * These settings with snapshots every {@code entries} entries, 4 KiB log segments (only closed
   * segments are purged) and a purge gap of a quarter of that: for tests that need purged logs.
   */
  public RaftSettings withFrequentSnapshots(long entries) {
    return new RaftSettings(votersPerPartition, electionTimeoutMinMillis, electionTimeoutMaxMillis,
        firstElectionTimeoutMinMillis, firstElectionTimeoutMaxMillis, serverRequestTimeoutMillis,
        clientRequestTimeoutMillis, clientRetrySleepMillis, commandTimeoutMillis, readTimeoutMillis,
        logWriteBufferBytes, appenderBufferByteLimit, 4 * 1024, entries, 4 * 1024, (int) Math.max(1, entries / 4));
  }

  /**
   * A replica that has been a candidate without a leader for this long answers at once that its
   * partition is unavailable, instead of waiting out {@link #commandTimeoutMillis}: the minority
   * side of a network partition then fails fast. Twice the longest election timeout, so an
   * ordinary election (1-3 s) is waited out.
   */
  long failFastAfterLeaderlessMillis() {
    return 2 * electionTimeoutMaxMillis;
  }

  /** Client attempts that fit in {@link #commandTimeoutMillis} (the total deadline still applies). */
  int clientMaxAttempts() {
    return (int) Math.max(3, commandTimeoutMillis / Math.max(1, clientRetrySleepMillis));
  }
}
