package io.cobalt.node.healing;

import io.cobalt.proto.node.v1.HealStatus;
import java.util.concurrent.atomic.AtomicLong;

/** The healing counters of one node since it started (and the last anti-entropy pass's figures). */
final class HealFigures {
  final AtomicLong repairsDone = new AtomicLong();
  final AtomicLong repairAttemptsFailed = new AtomicLong();
  final AtomicLong antiEntropyChecked = new AtomicLong();
  final AtomicLong antiEntropyUnderReplicated = new AtomicLong();
  final AtomicLong antiEntropyLastPassMillis = new AtomicLong();
  final AtomicLong scrubScanned = new AtomicLong();
  final AtomicLong scrubCorrupt = new AtomicLong();
  final AtomicLong scrubPasses = new AtomicLong();
  final AtomicLong gcDeleted = new AtomicLong();
  final AtomicLong gcKept = new AtomicLong();
  final AtomicLong gcPasses = new AtomicLong();
  AtomicLong dropped = new AtomicLong();

  HealStatus toProto(boolean enabled, long chunksStored) {
    return HealStatus.newBuilder()
        .setEnabled(enabled)
        .setChunksStored(chunksStored)
        .setRepairsDone(repairsDone.get())
        .setRepairAttemptsFailed(repairAttemptsFailed.get())
        .setRepairsDropped(dropped.get())
        .setAntiEntropyChunksChecked(antiEntropyChecked.get())
        .setAntiEntropyUnderReplicated(antiEntropyUnderReplicated.get())
        .setAntiEntropyLastPassEpochMillis(antiEntropyLastPassMillis.get())
        .setScrubChunksScanned(scrubScanned.get())
        .setScrubCorruptFound(scrubCorrupt.get())
        .setScrubPasses(scrubPasses.get())
        .setGcChunksDeleted(gcDeleted.get())
        .setGcChunksKept(gcKept.get())
        .setGcPasses(gcPasses.get())
        .build();
  }
}
