package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.cli.role.ProcessCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CI-sized chaos run ({@link ChaosSuite}): kms-agent, 3 nodes and the gateway as separate JVMs
 * from the packaged jar; all five workloads together (set-full blobs, blob registers with If-Match
 * CAS, table-entity registers with If-Match, a queue, table {@code $batch}es); about 130 s of seeded faults (SIGKILL and
 * restart, SIGSTOP/SIGCONT shorter and longer than the election timeout) on random nodes; then every
 * fault healed and every invariant checked: no acknowledged write lost, no stale or corrupted read,
 * every register key linearizable (none unknown), no queue message lost or unexpected, every batch
 * all-or-nothing and none lost or unexpected.
 * Replay a run with {@code -Dcobalt.seed=<seed printed>}; the reports are target/chaos-report.{json,html}.
 */
class ChaosSmokeIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final long FAULT_PHASE_MILLIS = Long.getLong("cobalt.chaos.faultMillis", 130_000);

  @Test
  void everyInvariantHoldsUnderKillsAndPauses() throws Exception {
    Path target = Paths.get("target").toAbsolutePath();
    Path jar = Paths.get(System.getProperty("cobalt.jar", ProcessCluster.defaultJar().toString()));
    ChaosSuite.Options options = new ChaosSuite.Options(SEED, 3, 8, FAULT_PHASE_MILLIS,
        new LinkedHashSet<>(ChaosSuite.WORKLOADS), target, target.resolve("chaos-runs"), jar, false);
    ChaosSuite.Outcome outcome = ChaosSuite.run(options, System.out);

    @SuppressWarnings("unchecked")
    Map<String, Object> inv = (Map<String, Object>) outcome.report().get("invariants");
    String seed = ", seed " + SEED + " (report " + outcome.json() + ")";
    assertEquals(0L, inv.get("lostAcknowledgedWrites"), "acknowledged blobs lost" + seed);
    assertEquals(0L, inv.get("staleReads"), "acknowledged blobs read as missing" + seed);
    assertEquals(0L, inv.get("corruptedReads"), "corrupted reads" + seed);
    assertEquals(List.of(), inv.get("nonLinearizableKeys"), "non-linearizable register keys" + seed);
    assertEquals(List.of(), inv.get("unknownKeys"), "register keys the checker could not decide" + seed);
    assertEquals(0, inv.get("queueLost"), "acknowledged queue messages never received" + seed);
    assertEquals(0, inv.get("queueUnexpected"), "queue messages nobody sent" + seed);
    assertEquals(0, inv.get("batchPartial"), "table batches partly applied" + seed);
    assertEquals(0, inv.get("batchLost"), "acknowledged table batches lost" + seed);
    assertEquals(0, inv.get("batchUnexpected"), "refused table batches present" + seed);
    assertEquals(List.of(), outcome.violations(), "violations" + seed);
    assertTrue(Files.size(outcome.html()) > 0, "the HTML report is written");
    long faultMillis = (long) ((Map<?, ?>) outcome.report().get("run")).get("faultMillis");
    // The phase also holds the healthy gaps between faults and skips a fault that would outlast it.
    assertTrue(faultMillis >= FAULT_PHASE_MILLIS * 6 / 10, "faults in force for " + faultMillis + " ms of a "
        + FAULT_PHASE_MILLIS + " ms fault phase");
  }
}
