package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.cobalt.chaos.FaultSchedule.Fault;
import io.cobalt.chaos.FaultSchedule.Kind;
import io.cobalt.chaos.FaultSchedule.Link;
import io.cobalt.cli.role.ProcessCluster;
import io.cobalt.gateway.nodeclient.GrpcChunkClient;
import io.cobalt.gateway.nodeclient.GrpcMetadataClient;
import io.cobalt.node.storage.rocksdb.ChunkStoreFaults;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Network partition and chunk corruption against the process cluster (kms-agent, 3 nodes, gateway
 * as JVMs). Isolates the node that leads the most partition groups with iptables (ADR 0011) while
 * 2 clients write and read blobs without SDK retries: every request must be answered within a
 * bound (no hang), errors may only be 503 and only until leadership has moved to the majority;
 * after healing every acknowledged blob reads back. Then damages stored chunks of two stopped
 * nodes (bit flips on one, truncation on the other, never both replicas of one chunk) and reads
 * every blob again: the gateway must fail over to a good replica each time.
 */
class PartitionFaultIT {
  private static final long SEED = Long.getLong("cobalt.seed", System.nanoTime());
  private static final int PARTITIONS = 8;
  /**
   * No request may take longer than the gateway's own deadlines allow: a PUT makes chunk calls
   * (one deadline: replicas are written in parallel) and up to two metadata calls (the container,
   * then the blob), each of which a node that lost its majority ends with a 503 at its deadline.
   */
  private static final long ANSWER_BOUND_MILLIS = GrpcChunkClient.DEADLINE_MILLIS + 2 * GrpcMetadataClient.DEADLINE_MILLIS;
  /** Leadership must have moved to the majority by then: an election (1–2 s) plus the gateway noticing. */
  private static final long RECOVERY_BOUND_MILLIS = 15_000;
  private static final long PARTITION_MILLIS = 20_000;

  private static final RequestRetryOptions NO_RETRY =
      new RequestRetryOptions(RetryPolicyType.FIXED, 1, Duration.ofMillis(ANSWER_BOUND_MILLIS + 20_000), null, null, null);

  private record Op(boolean write, long startMillis, long millis, int status) {}

  @Test
  void theMajorityKeepsServingWhileALeaderIsIsolatedAndCorruptReplicasAreFailedOver() throws Exception {
    System.out.println("PartitionFaultIT seed " + SEED + " (replay: -Dcobalt.seed=" + SEED + ")");
    Path target = Paths.get("target").toAbsolutePath();
    Path dir = Files.createTempDirectory(Files.createDirectories(target.resolve("chaos-runs")), "partition-");
    Path jar = Paths.get(System.getProperty("cobalt.jar", ProcessCluster.defaultJar().toString()));
    try (ProcessCluster cluster = ProcessCluster.init(dir, jar, 3, PARTITIONS)) {
      cluster.network(); // fails with the reason on a machine without root, cgroup v2 or iptables
      cluster.startAll();
      BlobContainerClient container = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .retryOptions(NO_RETRY).buildClient().createBlobContainer("partition");
      BlobContainerClient patient = new BlobServiceClientBuilder().connectionString(cluster.connectionString())
          .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 6, Duration.ofSeconds(20),
              Duration.ofMillis(250), Duration.ofSeconds(2), null))
          .buildClient().getBlobContainerClient("partition");
      Map<String, byte[]> acknowledged = new ConcurrentHashMap<>();
      List<Op> ops = java.util.Collections.synchronizedList(new ArrayList<>());
      long origin = System.nanoTime();

      String victim = mostLeading(cluster, jar, dir);
      List<String> others = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        if (!ProcessCluster.nodeName(i).equals(victim)) {
          others.add(ProcessCluster.nodeName(i));
        }
      }
      List<Link> cut = new ArrayList<>();
      for (String o : others) {
        cut.add(new Link(victim, o));
        cut.add(new Link(o, victim));
      }
      Fault isolate = new Fault(Kind.PARTITION_ISOLATE, victim, PARTITION_MILLIS, 0, List.of(victim), cut, null);
      History clock = new History(origin);
      Nemesis nemesis = new Nemesis(cluster, clock, System.out);

      AtomicBoolean running = new AtomicBoolean(true);
      List<Thread> workers = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        int worker = w;
        Thread t = new Thread(() -> work(worker, container, acknowledged, ops, origin, running), "partition-worker-" + w);
        t.setDaemon(true);
        workers.add(t);
        t.start();
      }
      Nemesis.Window window;
      String statusDuring;
      try {
        Thread.sleep(3_000);
        String[] during = new String[1];
        Thread status = new Thread(() -> {
          try {
            Thread.sleep(PARTITION_MILLIS / 2);
            during[0] = status(jar, dir);
          } catch (Exception e) {
            during[0] = e.toString();
          }
        }, "status-during-partition");
        status.start();
        window = nemesis.inject(isolate);
        status.join(60_000);
        statusDuring = during[0];
        Thread.sleep(5_000); // healed
      } finally {
        running.set(false);
        for (Thread t : workers) {
          t.join(ANSWER_BOUND_MILLIS + 30_000);
        }
      }
      assertTrue(cluster.network().rules().isEmpty(), "healing removed every rule");

      long partStart = window.startNanos() / 1_000_000;
      long partEnd = window.endNanos() / 1_000_000;
      // The window opens at the first rule; adding 12 rules takes seconds on a loaded machine. The
      // cut is complete when the Nemesis starts its sleep of PARTITION_MILLIS (healing is one flush).
      long cutComplete = Math.max(partStart, partEnd - PARTITION_MILLIS);
      List<Op> all = new ArrayList<>(ops);
      all.sort(Comparator.comparingLong(Op::startMillis));
      long lastFailure = -1;
      long firstWriteOkAfterStart = -1;
      int inside = 0;
      int insideOk = 0;
      long maxMillis = 0;
      for (Op op : all) {
        maxMillis = Math.max(maxMillis, op.millis());
        boolean in = op.startMillis() >= partStart && op.startMillis() < partEnd;
        if (in) {
          inside++;
          insideOk += op.status() < 300 ? 1 : 0;
        }
        if (op.status() >= 300) {
          lastFailure = Math.max(lastFailure, op.startMillis() + op.millis());
        } else if (op.write() && op.startMillis() >= cutComplete && firstWriteOkAfterStart < 0) {
          firstWriteOkAfterStart = op.startMillis() + op.millis() - cutComplete;
        }
      }
      System.out.printf("partition: isolated %s (the most leading) for %d ms (cut complete after %d ms); %d ops"
          + " inside, %d ok; first write invoked after the complete cut acknowledged %d ms after it; last failed op"
          + " ended %d ms after the first rule; slowest op %d ms%n",
          victim, partEnd - partStart, cutComplete - partStart, inside, insideOk, firstWriteOkAfterStart,
          lastFailure < 0 ? -1 : lastFailure - partStart, maxMillis);
      System.out.println("status during the partition (asked from outside the cgroups): " + statusDuring);
      for (Op op : all) {
        if (op.status() >= 300) {
          System.out.printf("  failed %s at %+d ms: %d after %d ms%n", op.write() ? "write" : "read",
              op.startMillis() - partStart, op.status(), op.millis());
        }
      }

      for (Op op : all) {
        assertTrue(op.millis() <= ANSWER_BOUND_MILLIS, "a request took " + op.millis() + " ms: " + op);
        assertTrue(op.status() < 300 || op.status() == 503, "only 503 may be answered under a partition: " + op);
        if (op.status() == 503) {
          // Leadership moves when the cut is made, and may move again when it heals.
          boolean atCut = op.startMillis() >= partStart - 1_000 && op.startMillis() <= cutComplete + RECOVERY_BOUND_MILLIS;
          boolean atHeal = op.startMillis() >= partEnd - 1_000 && op.startMillis() <= partEnd + RECOVERY_BOUND_MILLIS;
          assertTrue(atCut || atHeal, "a 503 outside a leadership move (" + (op.startMillis() - partStart)
              + " ms after the cut, partition " + (partEnd - partStart) + " ms): " + op);
        }
      }
      assertTrue(firstWriteOkAfterStart >= 0 && firstWriteOkAfterStart <= RECOVERY_BOUND_MILLIS,
          "writes resumed " + firstWriteOkAfterStart + " ms after the cut");
      long lateOk = all.stream().filter(o -> o.startMillis() > cutComplete + RECOVERY_BOUND_MILLIS
          && o.startMillis() < partEnd && o.status() < 300).count();
      assertTrue(lateOk > 0, "the majority served requests in the rest of the partition");
      assertTrue(statusDuring != null && statusDuring.contains("\"id\":\"" + victim + "\""),
          "status during the partition: " + statusDuring);
      assertFalse(acknowledged.isEmpty());
      for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
        assertArrayEquals(e.getValue(), patient.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
      }
      System.out.printf("after healing: all %d acknowledged blobs read back%n", acknowledged.size());

      // Corruption: bit flips on one node, truncation on another, never both on one chunk.
      long gatewayLogBefore = Files.size(dir.resolve("logs/gateway.log"));
      Random r = new Random(SEED);
      List<String> nodes = List.of("node-1", "node-2", "node-3");
      String flipped = nodes.get(r.nextInt(3));
      String truncated = nodes.get((nodes.indexOf(flipped) + 1 + r.nextInt(2)) % 3);
      nemesis.inject(new Fault(Kind.CORRUPT, flipped, 500, 0, List.of(flipped), List.of(),
          new FaultSchedule.Corruption(1_000_000, ChunkStoreFaults.Mode.FLIP, false, r.nextLong())));
      int flips = nemesis.injections().size();
      nemesis.inject(new Fault(Kind.CORRUPT, truncated, 500, 0, List.of(truncated), List.of(),
          new FaultSchedule.Corruption(1_000_000, ChunkStoreFaults.Mode.TRUNCATE, true, r.nextLong())));
      int truncations = nemesis.injections().size() - flips;
      System.out.printf("corruption: %d chunks bit-flipped on %s (after SIGKILL), %d truncated on %s (after SIGTERM)%n",
          flips, flipped, truncations, truncated);
      assertTrue(flips > 0, "chunks were damaged on " + flipped);
      assertEquals(nemesis.injections().size(), nemesis.injectedChunkIds().size(), "no chunk damaged twice");
      cluster.awaitLeaders(truncated);
      for (Map.Entry<String, byte[]> e : acknowledged.entrySet()) {
        assertArrayEquals(e.getValue(), patient.getBlobClient(e.getKey()).downloadContent().toBytes(), e.getKey());
      }
      String gatewayLog = Files.readString(dir.resolve("logs/gateway.log"));
      long failovers = gatewayLog.substring((int) Math.min(gatewayLogBefore, gatewayLog.length())).lines()
          .filter(l -> l.contains("chunk read from node") && l.contains("trying the next replica")).count();
      System.out.printf("corruption: all %d blobs read back correctly; the gateway failed over %d times%n",
          acknowledged.size(), failovers);
      assertTrue(failovers > 0, "reads met a damaged replica and failed over");
    }
    try (Stream<Path> files = Files.walk(dir.resolve("nodes"))) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static void work(int worker, BlobContainerClient c, Map<String, byte[]> acknowledged, List<Op> ops,
      long origin, AtomicBoolean running) {
    Random random = new Random(SEED * 31 + worker);
    List<String> mine = new ArrayList<>();
    for (long seq = 0; running.get(); seq++) {
      boolean write = mine.isEmpty() || seq % 2 == 0;
      long t0 = System.nanoTime();
      int status = 200;
      String key = write ? "w" + worker + "-" + seq : mine.get(random.nextInt(mine.size()));
      try {
        if (write) {
          byte[] data = new byte[1 + random.nextInt(200_000)];
          random.nextBytes(data);
          c.getBlobClient(key).upload(BinaryData.fromBytes(data), true);
          acknowledged.put(key, data);
          mine.add(key);
        } else {
          byte[] got = c.getBlobClient(key).downloadContent().toBytes();
          if (!java.util.Arrays.equals(got, acknowledged.get(key))) {
            status = 999; // wrong bytes: fails the 503-only assertion with a clear op
          }
        }
      } catch (BlobStorageException e) {
        status = e.getStatusCode();
      } catch (RuntimeException e) {
        status = 598; // no answer (client timeout or connection failure)
      }
      long now = System.nanoTime();
      ops.add(new Op(write, (t0 - origin) / 1_000_000, (now - t0) / 1_000_000, status));
    }
  }

  /** The node that leads the most partition groups now, from {@code cobalt admin cluster status --json}. */
  private static String mostLeading(ProcessCluster cluster, Path jar, Path dir) throws Exception {
    String json = status(jar, dir);
    for (int i = 0; i < 5 && !json.matches("(?s).*\"leaderOf\":[1-9].*"); i++) {
      Thread.sleep(1_000); // a loaded machine: a node may not have answered in time
      json = status(jar, dir);
    }
    Matcher m = Pattern.compile("\"id\":\"(node-\\d+)\"[^}]*?\"leaderOf\":(\\d+)").matcher(json);
    String best = null;
    int most = -1;
    while (m.find()) {
      int n = Integer.parseInt(m.group(2));
      if (n > most) {
        most = n;
        best = m.group(1);
      }
    }
    assertTrue(best != null && most > 0, "no leader found in " + json);
    System.out.printf("%s leads %d of %d partition groups%n", best, most, PARTITIONS);
    return best;
  }

  private static String status(Path jar, Path dir) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx128m", "-XX:+UseSerialGC", "-jar", jar.toString(), "admin", "cluster", "status", "--data", dir.toString(),
        "--json", "--timeout-ms", "20000"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("cobalt admin cluster status did not finish");
    }
    String s = new String(out, StandardCharsets.UTF_8);
    int brace = s.indexOf("{\"healthy\"");
    return brace < 0 ? s : s.substring(brace).trim();
  }
}
