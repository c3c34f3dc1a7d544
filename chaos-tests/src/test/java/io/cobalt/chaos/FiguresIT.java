package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.cobalt.cli.role.ProcessCluster;
import io.cobalt.gateway.placement.RendezvousPlacement;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PartitionGroupStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Figures for issue 3 point 8, measured on a 3-process cluster (not a timed test: it prints; it
 * asserts only that writes come back after a leader is killed and that the benchmarks ran):
 * <ul>
 *   <li><b>Leader election after SIGKILL</b>: the node leading the most partition groups is killed;
 *       the status probe (NodeAdmin, as {@code cobalt admin cluster status}) watches until a live
 *       node reports itself leader of each partition the killed node led; and for each of those
 *       partitions one client writes a small blob that lands on it, again and again from the kill
 *       until one succeeds. Each try waits up to 30 s (longer than the gateway's own deadlines, so a
 *       try the gateway would still answer is not cut short; a failed try is followed by the next
 *       after 100 ms): the first success is the time a patient client waits.
 *       {@code -Dcobalt.figures.rounds} rounds (default 2).
 *   <li><b>1 MiB blob throughput</b>: {@code cobalt bench --workload blob} (by default 32 uploads and
 *       downloads of 1 MiB, concurrency 4, 4 warm-up round trips; {@code -Dcobalt.figures.benchCount},
 *       {@code -Dcobalt.figures.benchWarmup}) against the cluster's gateway, which prints the
 *       machine's disk fdatasync limit per copy beside it.
 *   <li><b>The same against {@code cobalt dev}</b> (one process: the same 3 nodes, RF 3 / W 2,
 *       in one JVM; the single-process figure of the foundation issue), run right after on the same
 *       machine, so the two figures share their load ({@code -Dcobalt.figures.dev=false} skips it).
 * </ul>
 * Run by name (docs/chaos.md); the machine's load average is printed with each part.
 */
class FiguresIT {
  private static final int ROUNDS = Integer.getInteger("cobalt.figures.rounds", 2);
  private static final int BENCH_COUNT = Integer.getInteger("cobalt.figures.benchCount", 32);
  private static final int BENCH_WARMUP = Integer.getInteger("cobalt.figures.benchWarmup", 4);
  private static final boolean DEV = Boolean.parseBoolean(System.getProperty("cobalt.figures.dev", "true"));
  /** One write try: longer than the gateway's metadata (10 s) and chunk (30 s) deadlines would let a request last. */
  private static final Duration TRY_TIMEOUT = Duration.ofSeconds(30);
  private static final long WRITE_BOUND_MILLIS = 120_000;

  @Test
  void leaderElectionAfterKillAndBlobThroughput() throws Exception {
    Path target = Paths.get("target").toAbsolutePath();
    Path jar = Paths.get(System.getProperty("cobalt.jar", ProcessCluster.defaultJar().toString()));
    Path dir = Files.createTempDirectory(Files.createDirectories(target.resolve("chaos-runs")), "figures-");
    List<String> nodes = List.of("node-1", "node-2", "node-3");
    int partitions = 8;
    String clusterBench;
    try (ProcessCluster cluster = ProcessCluster.init(dir, jar, 3, partitions)) {
      long t0 = System.nanoTime();
      cluster.startAll();
      System.out.printf("figures: 3-process cluster ready in %d ms, load average %s%n",
          (System.nanoTime() - t0) / 1_000_000, loadAverage());
      String cs = cluster.connectionString();
      String account = ChaosSuite.account(cs);
      BlobContainerClient container = new BlobServiceClientBuilder().connectionString(cs)
          .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, TRY_TIMEOUT, Duration.ofMillis(1),
              Duration.ofMillis(1), null))
          .buildClient().getBlobContainerClient("election");
      for (int i = 0; ; i++) {
        try {
          container.createIfNotExists();
          break;
        } catch (RuntimeException e) {
          assertTrue(i < 30, "container creation: " + e);
          Thread.sleep(1_000);
        }
      }
      RendezvousPlacement placement = new RendezvousPlacement(nodes, partitions, 3);
      try (ClusterProbe probe = new ClusterProbe(cluster, nodes)) {
        for (int round = 1; round <= ROUNDS; round++) {
          electionRound(cluster, probe, container, placement, account, partitions, round);
        }
      }
      clusterBench = bench(jar, cs, dir, "bench-cluster");
      System.out.println("figures: cobalt bench against the 3-process cluster's gateway:\n" + clusterBench);
    }
    if (DEV) {
      String devBench = benchDev(jar, dir);
      System.out.println("figures: cobalt bench against cobalt dev (one process), right after:\n" + devBench);
      System.out.println("figures: 1 MiB, 3 processes vs one process: upload " + rate(clusterBench, "upload") + " vs "
          + rate(devBench, "upload") + " MB/s, download " + rate(clusterBench, "download") + " vs "
          + rate(devBench, "download") + " MB/s");
    }
  }

  private static void electionRound(ProcessCluster cluster, ClusterProbe probe, BlobContainerClient container,
      RendezvousPlacement placement, String account, int partitions, int round) throws Exception {
    // Every partition led, as the nodes say (the first calls of a new channel can be slow on a loaded machine).
    Map<String, List<Integer>> leads = new TreeMap<>();
    for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        leads.values().stream().mapToInt(List::size).sum() < partitions && System.nanoTime() < until; ) {
      leads.clear();
      Thread.sleep(500);
      probe.sample(Duration.ofSeconds(10)).forEach((n, s) -> {
        for (PartitionGroupStatus g : s.getPartitionsList()) {
          if (g.getRole().equals("LEADER")) {
            leads.computeIfAbsent(n, x -> new ArrayList<>()).add(g.getPartition());
          }
        }
      });
    }
    System.out.println("figures: round " + round + ": leaders before the kill " + leads + ", load average "
        + loadAverage());
    String victim = leads.entrySet().stream().max((a, b) -> a.getValue().size() - b.getValue().size())
        .orElseThrow().getKey();
    List<Integer> affected = leads.get(victim);
    Map<Integer, Long> firstWrite = new ConcurrentHashMap<>();
    Map<Integer, Long> firstWriteInvoked = new ConcurrentHashMap<>();
    AtomicInteger failedTries = new AtomicInteger();
    Map<Integer, Long> leaderSeen = new TreeMap<>();
    long t0 = System.nanoTime();
    cluster.kill(victim);
    List<Thread> writers = new ArrayList<>();
    for (int p : affected) {
      String name = blobOn(placement, account, p, round);
      Thread t = new Thread(() -> {
        byte[] data = ("election " + p).getBytes(StandardCharsets.UTF_8);
        while (System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(WRITE_BOUND_MILLIS)) {
          long invoked = System.nanoTime();
          try {
            container.getBlobClient(name).upload(BinaryData.fromBytes(data), true);
            firstWriteInvoked.put(p, (invoked - t0) / 1_000_000);
            firstWrite.put(p, (System.nanoTime() - t0) / 1_000_000);
            return;
          } catch (RuntimeException e) {
            // not yet: no leader, or the request failed or timed out
            failedTries.incrementAndGet();
            try {
              Thread.sleep(100);
            } catch (InterruptedException ie) {
              return;
            }
          }
        }
      }, "election-writer-" + p);
      t.start();
      writers.add(t);
    }
    while (leaderSeen.size() < affected.size() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(90)) {
      long now = (System.nanoTime() - t0) / 1_000_000;
      for (NodeStatus s : probe.sample(Duration.ofSeconds(2)).values()) {
        for (PartitionGroupStatus g : s.getPartitionsList()) {
          if (affected.contains(g.getPartition()) && g.getRole().equals("LEADER")) {
            leaderSeen.putIfAbsent(g.getPartition(), now);
          }
        }
      }
      Thread.sleep(200);
    }
    for (Thread t : writers) {
      t.join(WRITE_BOUND_MILLIS + TRY_TIMEOUT.toMillis() + 10_000);
    }
    System.out.printf("figures: round %d: SIGKILL of %s (leader of partitions %s): a live node reported itself"
            + " leader %s ms after the kill (max %d ms); first successful write per partition completed %s ms after"
            + " the kill (max %d ms; those tries were sent at %s ms; %d tries failed before); load average %s%n",
        round, victim, affected, leaderSeen, leaderSeen.values().stream().mapToLong(Long::longValue).max().orElse(-1),
        new TreeMap<>(firstWrite), firstWrite.values().stream().mapToLong(Long::longValue).max().orElse(-1),
        new TreeMap<>(firstWriteInvoked), failedTries.get(), loadAverage());
    assertEquals(affected.size(), firstWrite.size(), "every partition the killed node led takes writes again");
    cluster.restart(victim);
    cluster.awaitLeaders(victim);
  }

  /** {@code cobalt bench --workload blob} from the jar against the connection string; its output. */
  private static String bench(Path jar, String connectionString, Path dir, String name) throws Exception {
    Path scratch = Files.createDirectories(dir.resolve(name + "-scratch"));
    Path log = dir.resolve("logs/" + name + ".log");
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-jar", jar.toString(), "bench", "--workload", "blob", "--count", Integer.toString(BENCH_COUNT),
        "--warmup", Integer.toString(BENCH_WARMUP), "--concurrency", "4", "--scratch", scratch.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("AZURE_STORAGE_CONNECTION_STRING", connectionString);
    Process bench = pb.start();
    boolean done = bench.waitFor(15, TimeUnit.MINUTES);
    if (!done) {
      bench.destroyForcibly();
      bench.waitFor(10, TimeUnit.SECONDS);
    }
    String out = Files.readString(log).lines().filter(l -> !l.contains("az.sdk.message"))
        .reduce("", (a, b) -> a + b + "\n");
    assertTrue(done, "cobalt bench finished: " + out);
    assertEquals(0, bench.exitValue(), out);
    assertTrue(out.contains("upload") && out.contains("download"), out);
    return out;
  }

  /**
   * {@code cobalt dev} (the JVM flags of the {@code cobalt} script) on free ports in a fresh
   * directory, {@link #bench} against it, then SIGKILL (its data is thrown away).
   */
  private static String benchDev(Path jar, Path dir) throws Exception {
    Path data = dir.resolve("dev-data");
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4", "-Dhazelcast.logging.type=slf4j",
        "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
        "-jar", jar.toString(), "dev", "--data", data.toString(), "--blob-port", "0", "--table-port", "-1",
        "--queue-port", "-1"));
    Path log = dir.resolve("logs/dev.log");
    Process dev = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    AtomicReference<String> connectionString = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(dev.getInputStream(), StandardCharsets.UTF_8));
          var w = Files.newBufferedWriter(log)) {
        String line;
        boolean next = false;
        while ((line = in.readLine()) != null) {
          w.write(line);
          w.newLine();
          w.flush();
          if (next && connectionString.get() == null && line.trim().startsWith("DefaultEndpointsProtocol=")) {
            synchronized (connectionString) {
              connectionString.set(line.trim());
              connectionString.notifyAll();
            }
          }
          next = next || line.startsWith("Connection string:");
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "cobalt-dev-output");
    reader.setDaemon(true);
    reader.start();
    try {
      long t0 = System.nanoTime();
      synchronized (connectionString) {
        long deadline = System.currentTimeMillis() + 180_000;
        while (connectionString.get() == null && dev.isAlive() && System.currentTimeMillis() < deadline) {
          connectionString.wait(500);
        }
      }
      assertNotNull(connectionString.get(), "cobalt dev printed no connection string (" + log + ")");
      System.out.printf("figures: cobalt dev ready in %d ms, load average %s%n", (System.nanoTime() - t0) / 1_000_000,
          loadAverage());
      return bench(jar, connectionString.get(), dir, "bench-dev");
    } finally {
      dev.destroyForcibly();
      dev.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The MB/s of a bench output's {@code upload} or {@code download} line ("?" if absent). */
  static String rate(String benchOutput, String what) {
    for (String line : benchOutput.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length > 2 && f[0].equals(what) && f[2].equals("MB/s")) {
        return f[1];
      }
    }
    return "?";
  }

  private static String loadAverage() {
    try {
      return Files.readString(Paths.get("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "?";
    }
  }

  /** A blob name that lands on partition {@code p} (the gateway's rendezvous choice of the blob's partition). */
  private static String blobOn(RendezvousPlacement placement, String account, int p, int round) {
    for (int i = 0; ; i++) {
      String name = "r" + round + "-p" + p + "-" + i;
      if (placement.blobPartition(account, "election", name) == p) {
        return name;
      }
    }
  }
}
