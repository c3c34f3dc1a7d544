package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cobalt.proto.node.v1.HealStatus;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HealTallyTest {
  private static HealStatus heal(long corrupt, long repaired) {
    return HealStatus.newBuilder().setEnabled(true).setScrubCorruptFound(corrupt).setRepairsDone(repaired).build();
  }

  @Test
  void countersOfEveryProcessAddUpAcrossRestarts() {
    HealTally t = new HealTally();
    t.observe("node-1", 1_000, heal(0, 1));
    t.observe("node-1", 4_000, heal(2, 3)); // same process, later
    t.observe("node-1", 500, heal(1, 0)); // restarted: the counters began again
    t.observe("node-1", 3_500, heal(4, 2));
    t.observe("node-2", 9_000, heal(0, 7));
    Map<String, Long> totals = t.totals();
    assertEquals(2 + 4, totals.get("scrubCorrupt"));
    assertEquals(3 + 2 + 7, totals.get("repairsDone"));
    assertEquals(Map.of("node-1", 2, "node-2", 1), t.incarnations());
  }
}
