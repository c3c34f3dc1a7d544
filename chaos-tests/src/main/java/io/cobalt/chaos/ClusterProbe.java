package io.cobalt.chaos;

import io.cobalt.cli.admin.rpc.NodeAdminClient;
import io.cobalt.cli.role.ProcessCluster;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PlacementMap;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;

/**
 * Asks every node of a {@link ProcessCluster} for its status over the NodeAdmin RPC (what
 * {@code cobalt admin cluster status} asks, with the operator's {@code admin} certificate from the
 * cluster's TLS directory), from the test JVM, which is outside the nodes' cgroups, so partitions do
 * not cut it off. Every answer also feeds the run's {@link HealTally}.
 */
public final class ClusterProbe implements AutoCloseable {
  private final Map<String, NodeAdminClient> clients = new ConcurrentSkipListMap<>();
  private final TlsMaterial tls;
  private final HealTally tally = new HealTally();
  private Thread sampler; // guarded by this
  private final Object placementLock = new Object(); // not this: stopSampling holds this while joining the sampler
  private volatile PlacementMap newestPlacement = PlacementMap.getDefaultInstance(); // written under placementLock

  public ClusterProbe(ProcessCluster cluster, List<String> nodes) throws IOException {
    tls = TlsMaterial.load(cluster.dir().resolve("tls"), "admin");
    for (String n : nodes) {
      addNode(cluster, n);
    }
  }

  /** Asks {@code node} too from now on (a node that joined during the run), with its config file's address. */
  public void addNode(ProcessCluster cluster, String node) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(cluster.dir().resolve(node + ".properties"))) {
      p.load(in);
    }
    NodeAdminClient old = clients.put(node, NodeAdminClient.connect(p.getProperty("bind.host", "127.0.0.1").trim(),
        Integer.parseInt(p.getProperty("grpc.port").trim()), tls));
    if (old != null) {
      old.close();
    }
  }

  /** The cluster's TLS directory (for the agent's admin client too). */
  static Path tlsDir(ProcessCluster cluster) {
    return cluster.dir().resolve("tls");
  }

  /** Each answering node's status (all asked at once, each within {@code timeout}); a node that did not answer is absent. */
  public Map<String, NodeStatus> sample(Duration timeout) {
    Map<String, CompletableFuture<NodeStatus>> calls = new LinkedHashMap<>();
    clients.forEach((n, c) -> calls.put(n, c.status(timeout)));
    Map<String, NodeStatus> out = new TreeMap<>();
    calls.forEach((n, f) -> {
      try {
        NodeStatus s = f.get(timeout.toMillis() + 2_000, TimeUnit.MILLISECONDS);
        out.put(n, s);
        tally.observe(n, s.getUptimeMillis(), s.getHeal());
        notePlacement(s);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        // not answering: down, paused, or cut off
      }
    });
    return out;
  }

  /** Samples every {@code periodMillis} on a daemon thread until {@link #stopSampling} or {@link #close}. */
  public synchronized void startSampling(long periodMillis) {
    stopSampling();
    Thread t = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        sample(Duration.ofSeconds(2));
        try {
          Thread.sleep(periodMillis);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "chaos-status-sampler");
    t.setDaemon(true);
    t.start();
    sampler = t;
  }

  public synchronized void stopSampling() {
    if (sampler != null) {
      sampler.interrupt();
      try {
        sampler.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      sampler = null;
    }
  }

  private void notePlacement(NodeStatus s) {
    synchronized (placementLock) {
      if (s.hasPlacement() && s.getPlacement().getVersion() > newestPlacement.getVersion()) {
        newestPlacement = s.getPlacement();
      }
    }
  }

  /** The newest placement map any node answered with so far (version 0: none yet). */
  public PlacementMap newestPlacement() {
    return newestPlacement;
  }

  /**
   * The nodes retired from chunk placement in the newest map seen (ADR 0028: sticky until an
   * operator re-admits them, so the newest map is the one that counts).
   */
  public Set<String> retiredNodes() {
    return Set.copyOf(newestPlacement.getRetiredNodeIdsList());
  }

  public HealTally tally() {
    return tally;
  }

  @Override
  public void close() {
    stopSampling();
    clients.values().forEach(NodeAdminClient::close);
  }
}
