package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.chaos.FaultSchedule.Fault;
import io.cobalt.chaos.FaultSchedule.Kind;
import io.cobalt.cli.role.ProcessCluster;
import io.cobalt.node.storage.rocksdb.ChunkStoreFaults;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The operations faults, one of each, on 4 node processes (a spare for a lost node's voters) under
 * all five workloads: a chunk corruption (every injected replica must be detected, and repaired unless its node was
 * retired from chunk placement meanwhile),
 * a key rotation (no request fails because of it), a revocation (403 inside, nothing served more
 * than 5 s into it, everything readable after), the kms-agent killed and then paused (503, never
 * 403, nothing served), and a node removed past {@code placement.replace-after} (its voters
 * replaced: the time to restore the replication factor is reported). Not part of CI
 * ({@code ChaosSmokeIT} is): about 8-12 minutes on a loaded 2-core machine.
 */
class ChaosOpsIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());

  @Test
  void operationsFaultsKeepEveryInvariantAndReportHealing() throws Exception {
    Path target = Paths.get("target").toAbsolutePath();
    Path jar = Paths.get(System.getProperty("cobalt.jar", ProcessCluster.defaultJar().toString()));
    List<Fault> schedule = List.of(
        new Fault(Kind.CORRUPT, "node-2", 2_000, 2_000, List.of("node-2"), List.of(),
            new FaultSchedule.Corruption(6, ChunkStoreFaults.Mode.FLIP, false, SEED)),
        new Fault(Kind.KEY_ROTATE, FaultSchedule.KMS, 5_000, 2_000),
        new Fault(Kind.KEY_REVOKE, FaultSchedule.KMS, 10_000, 3_000),
        new Fault(Kind.KMS_DOWN, FaultSchedule.KMS, 5_000, 3_000),
        new Fault(Kind.KMS_PAUSE, FaultSchedule.KMS, 6_000, 3_000),
        new Fault(Kind.REMOVE_NODE, "node-4", ChaosSuite.REMOVE_BOUND_MILLIS, 2_000));
    ChaosSuite.Options options = new ChaosSuite.Options(SEED, 4, 8, 900_000, new LinkedHashSet<>(ChaosSuite.WORKLOADS),
        target.resolve("chaos-ops-report"), target.resolve("chaos-runs"), jar, false, EnumSet.noneOf(Kind.class),
        schedule);
    ChaosSuite.Outcome outcome = ChaosSuite.run(options, System.out);
    String seed = ", seed " + SEED + " (report " + outcome.json() + ")";

    Map<?, ?> inv = (Map<?, ?>) outcome.report().get("invariants");
    assertEquals(0L, inv.get("lostAcknowledgedWrites"), "acknowledged blobs lost" + seed);
    assertEquals(0L, inv.get("corruptedReads"), "corrupted reads" + seed);
    assertEquals(List.of(), inv.get("nonLinearizableKeys"), "non-linearizable register keys" + seed);
    assertEquals(List.of(), outcome.violations(), "violations" + seed);

    Map<?, ?> corruptions = (Map<?, ?>) outcome.report().get("corruptions");
    long injected = (long) corruptions.get("injected");
    assertTrue(injected > 0, "chunks were damaged" + seed);
    assertEquals(injected, corruptions.get("detected"), "every damaged replica detected: " + corruptions + seed);
    // A replica on a node retired from chunk placement meanwhile (its restart after CORRUPT outlasted
    // the placement grace) is not repaired by design (ADR 0028): counted apart, never as repaired.
    assertEquals(0L, corruptions.get("unrepairedCount"),
        "every damaged replica on a node still in chunk placement repaired: " + corruptions + seed);
    assertEquals(injected, (long) corruptions.get("repaired") + (long) corruptions.get("onRetiredNode"),
        "every damaged replica repaired or on a retired node: " + corruptions + seed);

    Map<?, ?> keys = (Map<?, ?>) outcome.report().get("keyFaults");
    assertTrue((long) keys.get("refused403DuringRevocations") > 0, "the revocation refused requests: " + keys + seed);
    assertTrue((long) keys.get("serverBusy503DuringOutages") > 0, "the outage answered 503: " + keys + seed);
    assertEquals(0L, keys.get("keyErrorsDuringRotations"), keys + seed);

    List<?> restores = (List<?>) outcome.report().get("replicationRestore");
    assertEquals(1, restores.size());
    Map<?, ?> r = (Map<?, ?>) restores.get(0);
    assertNotNull(r.get("partitionsRestoredSeconds"), "every partition had 3 live voters again: " + r + seed);
    assertTrue((double) r.get("partitionsRestoredSeconds") >= ChaosSuite.REPLACE_AFTER_SECONDS,
        "not before the grace: " + r + seed);
    assertTrue((long) r.get("placementVersionAfter") > (long) r.get("placementVersionBefore"), r + seed);
  }
}
