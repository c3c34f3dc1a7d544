package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CorruptionTallyTest {
  private static final String A = "aa".repeat(32);
  private static final String B = "bb".repeat(32);
  private static final String C = "cc".repeat(32);

  @Test
  void detectionAndRepairAreMatchedToEachInjectedReplicaFromTheNodesLogsAfterTheInjection() {
    String before = "12:00:00.000 WARN  [heal] i.c.n.h.Scrubber - node node-2: scrubber found chunk " + C
        + " corrupt; removed it and queued a repair\n";
    Map<String, String> logs = Map.of(
        "node-2", before
            + "12:00:05.000 WARN  [heal] i.c.n.h.Scrubber - node node-2: scrubber found chunk " + A
            + " corrupt; removed it and queued a repair\n"
            + "12:00:05.100 WARN  [grpc] i.c.n.r.StatusCatalogue - GetChunk: stored chunk " + B + " does not match its id\n"
            + "12:00:06.000 INFO  [heal] i.c.n.h.RepairWorker - node node-2: repaired chunk " + A + " on node-2 from node-1\n",
        "node-1", "12:00:07.000 INFO  [heal] i.c.n.h.RepairWorker - node node-1: repaired chunk " + B
            + " on node-3 from node-1\n",
        "node-3", "");
    // C was "detected" before the injection (offset): it must not count.
    List<CorruptionTally.Injected> injected = List.of(new CorruptionTally.Injected("node-2", List.of(A, B, C),
        Map.of("node-2", (long) before.length())));
    Map<String, Long> counters = Map.of("scrubCorrupt", 1L, "repairsDone", 9L);
    Map<String, Object> m = CorruptionTally.tally(injected, List.of("node-1", "node-2", "node-3"),
        (node, offset) -> logs.get(node).substring((int) Math.min(offset, logs.get(node).length())), counters, Set.of());
    assertEquals(3L, m.get("injected"));
    assertEquals(2L, m.get("detected"));
    assertEquals(1L, m.get("detectedByScrubber"));
    assertEquals(1L, m.get("detectedOnRead"));
    assertEquals(1L, m.get("repaired"), "B's repair was on node-3, not on the damaged node-2");
    assertEquals(List.of("node-2/" + C), m.get("undetected"));
    assertEquals(List.of("node-2/" + B, "node-2/" + C), m.get("unrepaired"));
    assertEquals(2L, m.get("unrepairedCount"));
    assertEquals(0L, m.get("onRetiredNode"));
    assertEquals(counters, m.get("nodeCounters"));
    assertFalse(CorruptionTally.allSettled(m));
    assertTrue(CorruptionTally.allSettled(CorruptionTally.tally(List.of(), List.of(), (n, o) -> "", Map.of(), Set.of())));
  }

  private static final String SCRUBBED_ALL = "12:00:05.000 WARN  [heal] i.c.n.h.Scrubber - node node-2: scrubber found chunk "
      + A + " corrupt; removed it and queued a repair\n"
      + "12:00:05.010 WARN  [heal] i.c.n.h.Scrubber - node node-2: scrubber found chunk " + B
      + " corrupt; removed it and queued a repair\n";

  @Test
  void unrepairedReplicaOnANodeRetiredMeanwhileCountsApartNeitherRepairedNorMissing() {
    // node-2's restart outlasted the placement grace: retired (ADR 0028); its repairs are dropped.
    Map<String, String> logs = Map.of("node-1", "", "node-2", SCRUBBED_ALL, "node-3", "");
    List<CorruptionTally.Injected> injected = List.of(new CorruptionTally.Injected("node-2", List.of(A, B), Map.of()));
    Map<String, Object> m = CorruptionTally.tally(injected, List.of("node-1", "node-2", "node-3"),
        (node, offset) -> logs.get(node), Map.of(), Set.of("node-2"));
    assertEquals(2L, m.get("injected"));
    assertEquals(2L, m.get("detected"));
    assertEquals(0L, m.get("repaired"));
    assertEquals(2L, m.get("onRetiredNode"));
    assertEquals(0L, m.get("unrepairedCount"));
    assertEquals(List.of(), m.get("unrepaired"));
    assertEquals(List.of("node-2/" + A, "node-2/" + B), m.get("unrepairedOnRetiredNode"));
    assertEquals(List.of("node-2"), m.get("retiredNodes"));
    assertTrue(CorruptionTally.allSettled(m));
  }

  @Test
  void unrepairedReplicaOnALiveNodeStillFailsWhenAnotherNodeIsRetired() {
    Map<String, String> logs = Map.of("node-1", "", "node-2", SCRUBBED_ALL, "node-3", "");
    List<CorruptionTally.Injected> injected = List.of(new CorruptionTally.Injected("node-2", List.of(A, B), Map.of()));
    Map<String, Object> m = CorruptionTally.tally(injected, List.of("node-1", "node-2", "node-3"),
        (node, offset) -> logs.get(node), Map.of(), Set.of("node-3"));
    assertEquals(0L, m.get("onRetiredNode"), "node-2 is in chunk placement: its replicas must be repaired");
    assertEquals(2L, m.get("unrepairedCount"));
    assertEquals(List.of("node-2/" + A, "node-2/" + B), m.get("unrepaired"));
    assertFalse(CorruptionTally.allSettled(m));
  }

  @Test
  void repairedReplicaCountsAsRepairedEvenIfItsNodeIsRetiredLater() {
    Map<String, String> logs = Map.of("node-1", "12:00:06.000 INFO  [heal] i.c.n.h.RepairWorker - node node-1: "
        + "repaired chunk " + A + " on node-2 from node-1\n", "node-2", SCRUBBED_ALL, "node-3", "");
    List<CorruptionTally.Injected> injected = List.of(new CorruptionTally.Injected("node-2", List.of(A, B), Map.of()));
    Map<String, Object> m = CorruptionTally.tally(injected, List.of("node-1", "node-2", "node-3"),
        (node, offset) -> logs.get(node), Map.of(), Set.of("node-2"));
    assertEquals(1L, m.get("repaired"));
    assertEquals(1L, m.get("onRetiredNode"));
    assertEquals(List.of("node-2/" + B), m.get("unrepairedOnRetiredNode"));
    assertTrue(CorruptionTally.allSettled(m));
  }

  @Test
  void undetectedReplicaOnARetiredNodeIsNotSettled() {
    List<CorruptionTally.Injected> injected = List.of(new CorruptionTally.Injected("node-2", List.of(A), Map.of()));
    Map<String, Object> m = CorruptionTally.tally(injected, List.of("node-2"), (node, offset) -> "", Map.of(),
        Set.of("node-2"));
    assertEquals(1L, m.get("onRetiredNode"));
    assertEquals(0L, m.get("detected"));
    assertFalse(CorruptionTally.allSettled(m), "detection is still required");
  }
}
