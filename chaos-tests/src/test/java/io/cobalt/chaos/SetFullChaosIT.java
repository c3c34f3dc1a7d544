package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.cobalt.cli.role.ProcessCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CI-sized chaos run: kms-agent, 3 nodes and the gateway as separate JVMs from the packaged
 * jar; 2 set-full writers; about a minute of seeded faults (SIGKILL and restart, SIGSTOP/SIGCONT
 * shorter and longer than the election timeout) on random nodes; then every fault healed and every
 * blob read back. No acknowledged write may be lost and no read may return other bytes.
 * Replay a run with {@code -Dcobalt.seed=<seed printed>}; the report is target/chaos-report.json.
 */
class SetFullChaosIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final long FAULT_PHASE_MILLIS = Long.getLong("cobalt.chaos.faultMillis", 70_000);
  /** What a node restart takes on a busy 2-core machine (measured 10-18 s). */
  private static final long RESTART_ESTIMATE_MILLIS = 12_000;
  private static final int NODES = 3;
  private static final int PARTITIONS = 8;
  private static final int WORKERS = 2;

  @Test
  void losesNoAcknowledgedBlobUnderKillsAndPauses() throws Exception {
    System.out.println("chaos seed " + SEED + " (replay: -Dcobalt.seed=" + SEED + ")");
    List<String> nodes = new ArrayList<>();
    for (int i = 1; i <= NODES; i++) {
      nodes.add(ProcessCluster.nodeName(i));
    }
    FaultSchedule schedule = FaultSchedule.generate(SEED, nodes, FAULT_PHASE_MILLIS, RESTART_ESTIMATE_MILLIS);
    System.out.println("chaos schedule: " + schedule.faults());

    Path target = Paths.get("target").toAbsolutePath();
    Path dir = Files.createTempDirectory(Files.createDirectories(target.resolve("chaos-runs")), "run-");
    Path jar = Paths.get(System.getProperty("cobalt.jar", ProcessCluster.defaultJar().toString()));
    try (ProcessCluster cluster = ProcessCluster.init(dir, jar, NODES, PARTITIONS)) {
      long t0 = System.nanoTime();
      cluster.startAll();
      long startMillis = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf("chaos: %d nodes, kms-agent and gateway ready in %d ms (logs in %s)%n", NODES, startMillis,
          dir.resolve("logs"));

      BlobContainerClient container = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 3, Duration.ofSeconds(8),
              Duration.ofMillis(200), Duration.ofSeconds(1), null))
          .buildClient().createBlobContainer("set-full");

      History history = new History(System.nanoTime());
      SetFullWorkload workload = new SetFullWorkload(container, history, SEED, 1, 64 * 1024);
      Nemesis nemesis = new Nemesis(cluster, history, System.out);
      workload.start(WORKERS);
      SetFullChecker.Result result;
      try {
        Thread.sleep(3_000);
        nemesis.play(schedule, history.now() + FAULT_PHASE_MILLIS * 1_000_000, RESTART_ESTIMATE_MILLIS);
        Thread.sleep(5_000); // healed: let the cluster settle under load
      } finally {
        workload.stop();
      }
      long runMillis = history.now() / 1_000_000;
      result = SetFullChecker.check(container, workload);

      Map<String, Object> run = new LinkedHashMap<>();
      run.put("nodes", NODES);
      run.put("partitions", PARTITIONS);
      run.put("replicationFactor", 3);
      run.put("writeQuorum", 2);
      run.put("workers", WORKERS);
      run.put("blobBytes", "1..65536");
      run.put("clusterStartMillis", startMillis);
      run.put("workloadMillis", runMillis);
      run.put("faultMillis", nemesis.windows().stream().mapToLong(w -> (w.endNanos() - w.startNanos()) / 1_000_000).sum());
      run.put("jvm", System.getProperty("java.version"));
      run.put("cpus", Runtime.getRuntime().availableProcessors());
      ChaosReport report = ChaosReport.of(run, schedule, nemesis.windows(), history.ops(), workload, result);
      report.write(target.resolve("chaos-report.json"));
      ChaosReport.writeHistory(target.resolve("chaos-history.jsonl"), history.ops());
      System.out.println("chaos report: " + target.resolve("chaos-report.json"));
      System.out.printf("chaos: seed %d, %d ops, %d acknowledged, %d lost, %d corrupted reads, %d stale reads, "
          + "%d ms of faults, inside faults %s, outside %s%n", SEED, history.ops().size(), result.acknowledged(),
          result.lost().size(), (long) report.get("corruptedReads"), workload.staleReads(), (long) run.get("faultMillis"),
          report.get("insideFaults"), report.get("outsideFaults"));

      assertEquals(List.of(), result.lost(), "acknowledged blobs lost, seed " + SEED);
      assertEquals(0L, (long) report.get("corruptedReads"), "corrupted reads, seed " + SEED + ": " + result.corrupted());
      assertEquals(0L, workload.staleReads(), "acknowledged blobs read as missing during the run, seed " + SEED);
      assertEquals(List.of(), result.unreadable(), "blobs unreadable after healing, seed " + SEED);
      assertTrue(result.acknowledged() > 0, "the workload got no write acknowledged at all");
      assertTrue(!nemesis.windows().isEmpty(), "no fault was injected");
    }
    // Passed: keep the logs, drop the nodes' data (a few hundred MB per run).
    try (Stream<Path> files = Files.walk(dir.resolve("nodes"))) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
