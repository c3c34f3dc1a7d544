package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.chaos.History.Op;
import io.cobalt.chaos.History.Outcome;
import io.cobalt.chaos.History.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChaosReportTest {
  private static final long S = 1_000_000_000L;

  @Test
  void splitsAvailabilityAndLatencyByFaultWindowAndWorkload(@TempDir Path dir) throws Exception {
    FaultSchedule.Fault kill = new FaultSchedule.Fault(FaultSchedule.Kind.KILL, "node-2", 3_000, 1_000);
    List<Nemesis.Window> windows = List.of(new Nemesis.Window(kill, 10 * S, 20 * S));
    List<Op> ops = new ArrayList<>();
    // Outside the window: 4 ok register writes of 10 ms, a CAS refused with 412 (answered).
    for (int i = 0; i < 4; i++) {
      ops.add(new Op(ops.size(), "register", 0, Type.WRITE, "r0", "v" + i, null, i * S, i * S + 10_000_000,
          Outcome.OK, null));
    }
    ops.add(new Op(ops.size(), "register", 0, Type.CAS, "r0", "x", "v0", 5 * S, 5 * S + 1_000_000, Outcome.FAIL, "412"));
    // Inside: one ok enqueue of 2 s, one timed-out enqueue.
    ops.add(new Op(ops.size(), "queue", 1, Type.ENQUEUE, "q-1-0", "q-1-0", null, 11 * S, 13 * S, Outcome.OK, null));
    ops.add(new Op(ops.size(), "queue", 1, Type.ENQUEUE, "q-1-1", "q-1-1", null, 14 * S, 24 * S, Outcome.INFO,
        "TimeoutException"));
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("nodes", 3);
    ChaosReport report = ChaosReport.of(run, new FaultSchedule(7, List.of(kill)), windows, ops);
    report.put("invariants", Map.of("corruptedReads", 0));
    report.put("violations", List.of());
    report.put("corruptions", new LinkedHashMap<>(Map.of("injected", 7L)));
    report.put("replicationRestore", List.of(new LinkedHashMap<>(Map.of("node", "node-4",
        "partitionsRestoredSeconds", 41.5))));
    report.put("keyFaults", Map.of());

    Map<?, ?> outside = (Map<?, ?>) report.get("outsideFaults");
    assertEquals(5, outside.get("ops"));
    assertEquals(1.0, outside.get("availability"));
    assertEquals(10.0, outside.get("p50Millis"));
    Map<?, ?> inside = (Map<?, ?>) report.get("insideFaults");
    assertEquals(2, inside.get("ops"));
    assertEquals(0.5, inside.get("availability"));
    assertEquals(2000.0, inside.get("p99Millis"));
    Map<?, ?> byWorkload = (Map<?, ?>) report.get("availabilityByWorkload");
    assertEquals(2, ((Map<?, ?>) byWorkload.get("queue")).get("ops"));
    List<?> w = (List<?>) report.get("faultWindows");
    assertEquals(3000L, ((Map<?, ?>) w.get(0)).get("firstAckAfterStartMillis")); // the enqueue acked 3 s after the kill
    Map<?, ?> counts = (Map<?, ?>) report.get("ops");
    assertEquals(1L, counts.get("register_cas_fail"));

    Path json = dir.resolve("r/chaos-report.json");
    Path html = dir.resolve("r/chaos-report.html");
    report.write(json);
    report.writeHtml(html);
    ChaosReport.writeHistory(dir.resolve("r/chaos-history.jsonl"), ops);
    assertTrue(Files.readString(json).contains("\"availabilityByWorkload\""));
    String page = Files.readString(html, StandardCharsets.UTF_8);
    assertTrue(page.startsWith("<!DOCTYPE html>"));
    assertTrue(page.contains("<svg") && page.contains("<polyline") && page.contains("kill node-2"), page);
    assertTrue(page.contains("every invariant held"));
    assertTrue(page.contains("Corruptions: injected, detected, repaired, on a retired node") && page.contains("<td>injected</td><td>7</td>"),
        page);
    assertTrue(page.contains("Time to restore the replication factor") && page.contains("<td>41.5</td>"), page);
    assertTrue(!page.contains("Key faults:"), "an empty section is left out");
    // Self-contained: nothing fetched (the only URL is the SVG namespace), no scripts.
    assertFalse(page.contains("<script") || page.contains("src=") || page.contains("href=") || page.contains("@import"));
    assertEquals(1, page.split("http", -1).length - 1, "only the SVG namespace names a URL");
    List<String> lines = Files.readAllLines(dir.resolve("r/chaos-history.jsonl"));
    assertEquals(2 * ops.size(), lines.size());
    assertTrue(lines.get(0).contains("\"type\":\"invoke\""), lines.get(0));
  }

  @Test
  void aFailedRunSaysSoAndListsTheViolations(@TempDir Path dir) throws Exception {
    ChaosReport report = ChaosReport.of(new LinkedHashMap<>(), new FaultSchedule(1, List.of()), List.of(), List.of());
    report.put("violations", List.of("not linearizable: [register/r1]"));
    report.writeHtml(dir.resolve("x.html"));
    String page = Files.readString(dir.resolve("x.html"));
    assertTrue(page.contains("invariants violated") && page.contains("register/r1"), page);
  }

  @Test
  void nodeJoinsReportTheTimeToTheFirstVoterAndTheVotersHeldAtTheEnd() {
    io.cobalt.proto.node.v1.PlacementMap.Builder end = io.cobalt.proto.node.v1.PlacementMap.newBuilder().setVersion(9);
    for (List<String> voters : List.of(List.of("node-4", "node-2", "node-3"), List.of("node-1", "node-2", "node-3"),
        List.of("node-1", "node-4", "node-3"))) {
      end.addPartitions(io.cobalt.proto.node.v1.PartitionVoters.newBuilder().addAllNodeIds(voters));
    }
    assertEquals(List.of(0, 2), Nemesis.votersOn(end.build(), "node-4"));
    assertEquals(List.of(), Nemesis.votersOn(end.build(), "node-5"));
    List<Map<String, Object>> joins = ChaosSuite.joins(List.of(
        new Nemesis.NodeJoin("node-4", 40_000, 6_200, 31_500L, 1, 2, List.of(0)),
        new Nemesis.NodeJoin("node-5", 90_000, 7_000, null, 5, 5, List.of())), end.build());
    assertEquals(31.5, joins.get(0).get("firstVoterSeconds"));
    assertEquals(6.2, joins.get(0).get("readySeconds"));
    assertEquals(2L, joins.get(0).get("placementVersionAtFirstVoter"));
    assertEquals(2, joins.get(0).get("votersAtEnd"));
    assertEquals(List.of(0, 2), joins.get(0).get("partitionsAtEnd"));
    assertEquals(9L, joins.get(0).get("placementVersionAtEnd"));
    assertEquals(null, joins.get(1).get("firstVoterSeconds"), "not within the bound: reported as such");
    assertEquals(null, joins.get(1).get("placementVersionAtFirstVoter"));
    assertEquals(0, joins.get(1).get("votersAtEnd"));
  }
}
