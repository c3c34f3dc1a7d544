package io.cobalt.chaos;

import io.cobalt.proto.node.v1.HealStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The nodes' healing counters over a whole run. A node's counters (scrubber, repairs) count since
 * that process started, and chaos restarts nodes, so each sample is kept per <em>incarnation</em>:
 * an uptime lower than the last one seen means a new process. The totals add the last sample of
 * every incarnation; increments after an incarnation's last sample are missed (the suite samples
 * every few seconds and just before it stops a node), so the totals are lower bounds.
 */
public final class HealTally {
  private record Sample(long uptimeMillis, HealStatus heal) {}

  private final Map<String, List<Sample>> incarnations = new TreeMap<>(); // guarded by this

  /** One status sample of {@code node}. */
  public synchronized void observe(String node, long uptimeMillis, HealStatus heal) {
    List<Sample> list = incarnations.computeIfAbsent(node, n -> new ArrayList<>());
    Sample s = new Sample(uptimeMillis, heal);
    if (list.isEmpty() || uptimeMillis < list.get(list.size() - 1).uptimeMillis()) {
      list.add(s);
    } else {
      list.set(list.size() - 1, s);
    }
  }

  /** Processes seen per node (1 = never restarted while observed). */
  public synchronized Map<String, Integer> incarnations() {
    Map<String, Integer> m = new TreeMap<>();
    incarnations.forEach((n, l) -> m.put(n, l.size()));
    return m;
  }

  /** Summed counters: scrubScanned, scrubCorrupt, scrubPasses, repairsDone, repairAttemptsFailed, repairsDropped. */
  public synchronized Map<String, Long> totals() {
    long scanned = 0;
    long corrupt = 0;
    long passes = 0;
    long repaired = 0;
    long failed = 0;
    long dropped = 0;
    for (List<Sample> list : incarnations.values()) {
      for (Sample s : list) {
        scanned += s.heal().getScrubChunksScanned();
        corrupt += s.heal().getScrubCorruptFound();
        passes += s.heal().getScrubPasses();
        repaired += s.heal().getRepairsDone();
        failed += s.heal().getRepairAttemptsFailed();
        dropped += s.heal().getRepairsDropped();
      }
    }
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("scrubScanned", scanned);
    m.put("scrubCorrupt", corrupt);
    m.put("scrubPasses", passes);
    m.put("repairsDone", repaired);
    m.put("repairAttemptsFailed", failed);
    m.put("repairsDropped", dropped);
    return m;
  }
}
