package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.cobalt.cli.admin.AdminCommand;
import io.cobalt.gateway.NodeEndpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code cobalt admin cluster status} against a real 3-node cluster over mTLS, run in-process
 * through picocli as an operator would run it: healthy, with one node stopped, and after that node
 * has returned and caught up.
 */
class ClusterStatusIT {
  /** The documented exit code of a degraded cluster. */
  private static final int DEGRADED = 3;
  private static final List<String> ALL = List.of("node-1", "node-2", "node-3");

  record Run(int exit, String out, String err) {
    JsonNode json() {
      try {
        return new ObjectMapper().readTree(out);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + out, e);
      }
    }
  }

  private static Run admin(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = AdminCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private static Run status(DevCluster cluster, String... more) {
    List<String> args = new ArrayList<>(List.of("cluster", "status", "--data", cluster.dataDir().toString()));
    args.addAll(List.of(more));
    return admin(args.toArray(new String[0]));
  }

  /** Elections and heartbeats settle within seconds; a status taken mid-way may be degraded. */
  private static Run awaitHealthy(DevCluster cluster, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Run r = status(cluster, "--json");
    while (r.exit() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(200);
      r = status(cluster, "--json");
    }
    return r;
  }

  @Test
  void reportsHealthyThenTheLostNodeAndUnderReplicatedPartitionsThenHealthyAgain(@TempDir Path data)
      throws Exception {
    try (DevCluster cluster = DevCluster.start(DevCluster.Options.defaults(data).withBlobPort(0))) {
      int partitions = cluster.options().partitions();

      // All healthy.
      Run healthy = awaitHealthy(cluster, Duration.ofSeconds(20));
      assertEquals(0, healthy.exit(), healthy.out() + healthy.err());
      assertEveryPartitionLedWithThreeReachableVoters(healthy.json(), partitions);
      Run table = status(cluster);
      System.out.println("healthy:\n" + table.out());
      assertEquals(0, table.exit(), table.out() + table.err());
      assertTrue(table.out().strip().endsWith("HEALTHY"), table.out());
      assertEquals(3, table.out().lines().filter(l -> l.startsWith("node-") && l.contains(" up ")).count(),
          table.out());

      // The same through explicit endpoints and certificate files.
      String nodes = cluster.nodeEndpoints().stream().map(n -> n.nodeId() + "@" + n.host() + ":" + n.port())
          .collect(Collectors.joining(","));
      Path tls = cluster.tlsDir();
      Run explicit = admin("cluster", "status", "--json", "--node", nodes, "--cert", tls.resolve("admin.pem").toString(),
          "--key", tls.resolve("admin.key").toString(), "--ca", tls.resolve("ca.pem").toString());
      assertEquals(0, explicit.exit(), explicit.out() + explicit.err());
      assertEquals(3, explicit.json().get("members").size());

      // One node stopped: unreachable, every partition it votes in under-replicated, exit 3.
      cluster.stopNode(2);
      NodeEndpoint lost = cluster.nodeEndpoints().get(1);
      Run degraded = status(cluster, "--json");
      System.out.println("node-2 stopped:\n" + status(cluster).out());
      assertEquals(DEGRADED, degraded.exit(), degraded.out() + degraded.err());
      JsonNode d = degraded.json();
      assertFalse(d.get("healthy").asBoolean());
      JsonNode member2 = member(d, "node-2");
      assertFalse(member2.get("reachable").asBoolean());
      assertEquals(lost.host() + ":" + lost.port(), member2.get("endpoint").asText());
      assertTrue(member2.get("error").asText().startsWith("UNAVAILABLE"), member2.toString());
      assertEquals(partitions, member2.get("voterOf").asInt(), "the others still count node-2 as a voter");
      assertTrue(member(d, "node-1").get("reachable").asBoolean());
      JsonNode ps = d.get("partitions");
      assertEquals(partitions, ps.size());
      for (JsonNode p : ps) {
        assertTrue(p.get("underReplicated").asBoolean(), p.toString());
        assertEquals(ALL, strings(p.get("voters")), p.toString());
        assertEquals(List.of("node-1", "node-3"), strings(p.get("reachableVoters")), p.toString());
        assertTrue(strings(p.get("problems")).contains("node-2 unreachable"), p.toString());
      }

      // Restarted and caught up: healthy again.
      cluster.restartNode(2);
      cluster.awaitCaughtUp(2, Duration.ofSeconds(30));
      Run again = awaitHealthy(cluster, Duration.ofSeconds(20));
      System.out.println("node-2 back:\n" + status(cluster).out());
      assertEquals(0, again.exit(), again.out() + again.err());
      assertEveryPartitionLedWithThreeReachableVoters(again.json(), partitions);
      assertTrue(member(again.json(), "node-2").get("reachable").asBoolean());
    }
  }

  private static void assertEveryPartitionLedWithThreeReachableVoters(JsonNode status, int partitions) {
    assertTrue(status.get("healthy").asBoolean(), status.toPrettyString());
    JsonNode ps = status.get("partitions");
    assertEquals(partitions, ps.size());
    for (int i = 0; i < ps.size(); i++) {
      JsonNode p = ps.get(i);
      assertEquals(i, p.get("partition").asInt());
      assertTrue(p.get("leader").asText().startsWith("node-"), p.toString());
      assertEquals(ALL, strings(p.get("voters")), p.toString());
      assertEquals(ALL, strings(p.get("reachableVoters")), p.toString());
      assertFalse(p.get("underReplicated").asBoolean(), p.toString());
    }
    int leaders = 0;
    for (JsonNode m : status.get("members")) {
      assertEquals(partitions, m.get("voterOf").asInt(), m.toString());
      leaders += m.get("leaderOf").asInt();
    }
    assertEquals(partitions, leaders, "each partition's leader counted once");
    assertEquals(0, status.get("repairBacklog").asInt());
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static JsonNode member(JsonNode status, String id) {
    for (JsonNode m : status.get("members")) {
      if (id.equals(m.get("id").asText())) {
        return m;
      }
    }
    throw new AssertionError(id + " missing from " + status);
  }
}
