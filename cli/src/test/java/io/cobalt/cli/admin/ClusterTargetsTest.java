package io.cobalt.cli.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.cli.role.InitCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Where {@code cluster status} finds the nodes: a {@code cobalt init} directory, a dev data directory, or arguments. */
class ClusterTargetsTest {
  @Test
  void readsTheNodesOfACobaltInitDirectoryFromItsGatewayConfig(@TempDir Path dir) throws Exception {
    assertEquals(0, new CommandLine(new InitCommand()).execute("--dir", dir.toString(), "--nodes", "3",
        "--partitions", "8", "--blob-port", "0"));
    ClusterTargets t = ClusterTargets.fromDirectory(dir);
    assertEquals(List.of("node-1", "node-2", "node-3"), t.nodes().stream().map(ClusterTargets.Target::name).toList());
    assertEquals(8, t.partitions());
    assertEquals(dir.resolve("tls"), t.tlsDir());
    assertTrue(Files.isRegularFile(t.tlsDir().resolve("admin.pem")), "init writes the operator's certificate");
    String node2 = Files.readString(dir.resolve("node-2.properties"));
    assertTrue(node2.contains("grpc.port=" + t.nodes().get(1).port()), node2);
  }

  @Test
  void readsPinnedGrpcPortsOfADevDataDirectoryAndSaysWhatIsMissing(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("cluster.properties"), "partitions=16\nnodes=2\ngrpcHost=127.0.0.1\n"
        + "node-1.grpcPort=4001\nnode-2.grpcPort=4002\nnode-1.raftPort=5001\n");
    ClusterTargets t = ClusterTargets.fromDirectory(dir);
    assertEquals(List.of(new ClusterTargets.Target("node-1", "127.0.0.1", 4001),
        new ClusterTargets.Target("node-2", "127.0.0.1", 4002)), t.nodes());
    assertEquals(16, t.partitions());

    Files.writeString(dir.resolve("cluster.properties"), "partitions=16\nnodes=2\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterTargets.fromDirectory(dir));
    assertTrue(e.getMessage().contains("--node"), e.getMessage());
  }

  @Test
  void parsesExplicitEndpointsWithAndWithoutIds() {
    ClusterTargets t = ClusterTargets.explicit(List.of("node-1@10.0.0.1:7000", "10.0.0.2:7001,node-3@h:7002"));
    assertEquals(List.of(new ClusterTargets.Target("node-1", "10.0.0.1", 7000),
        new ClusterTargets.Target("10.0.0.2:7001", "10.0.0.2", 7001), new ClusterTargets.Target("node-3", "h", 7002)),
        t.nodes());
    assertThrows(IllegalArgumentException.class, () -> ClusterTargets.Target.parse("host"));
    assertThrows(IllegalArgumentException.class, () -> ClusterTargets.Target.parse("@h:1"));
    assertThrows(IllegalArgumentException.class, () -> ClusterTargets.Target.parse("h:70000"));
  }

  @Test
  void refusesADirectoryThatIsNoCluster(@TempDir Path dir) {
    assertThrows(IllegalArgumentException.class, () -> ClusterTargets.fromDirectory(dir));
  }

  @Test
  void nodesThatJoinedAreAskedFromTheNewestPlacementMapTheMembersReport() {
    io.cobalt.proto.node.v1.PlacementMap older = io.cobalt.proto.node.v1.PlacementMap.newBuilder().setVersion(2)
        .addJoinedNodes(io.cobalt.proto.node.v1.JoinNode.newBuilder().setNodeId("node-4")
            .setGrpcEndpoint("10.0.0.4:7104"))
        .build();
    io.cobalt.proto.node.v1.PlacementMap newer = older.toBuilder().setVersion(3)
        .addJoinedNodes(io.cobalt.proto.node.v1.JoinNode.newBuilder().setNodeId("node-5")
            .setGrpcEndpoint("10.0.0.5:7105"))
        .addJoinedNodes(io.cobalt.proto.node.v1.JoinNode.newBuilder().setNodeId("node-1")
            .setGrpcEndpoint("10.0.0.1:7101"))
        .build();
    List<ClusterHealth.MemberReport> reports = List.of(
        ClusterHealth.MemberReport.answered("node-1", "10.0.0.1:7101",
            io.cobalt.proto.node.v1.NodeStatus.newBuilder().setNodeId("node-1").setPlacement(older).build()),
        ClusterHealth.MemberReport.answered("node-2", "10.0.0.2:7102",
            io.cobalt.proto.node.v1.NodeStatus.newBuilder().setNodeId("node-2").setPlacement(newer).build()),
        ClusterHealth.MemberReport.failed("node-3", "10.0.0.3:7103", "refused"));
    // node-1 was asked already; node-4 and node-5 joined (the newest map names both).
    assertEquals(List.of(new ClusterTargets.Target("node-4", "10.0.0.4", 7104),
        new ClusterTargets.Target("node-5", "10.0.0.5", 7105)), ClusterCommand.Status.joinedTargets(reports));
    assertEquals(List.of(), ClusterCommand.Status.joinedTargets(reports.subList(2, 3)));
  }
}
