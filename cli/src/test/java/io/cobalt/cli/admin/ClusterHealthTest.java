package io.cobalt.cli.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.cli.admin.ClusterHealth.MemberReport;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PartitionGroupStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The verdicts of {@code cobalt admin cluster status}, from hand-built node answers. */
class ClusterHealthTest {
  private static final List<String> ALL = List.of("node-1", "node-2", "node-3");
  private static final long MAX_LAG = 10;

  /** A group as {@code node} reports it, with every voter caught up to {@code commit}. */
  private static PartitionGroupStatus.Builder group(int p, String node, String leader, long commit) {
    PartitionGroupStatus.Builder g = PartitionGroupStatus.newBuilder().setPartition(p)
        .setRole(node.equals(leader) ? "LEADER" : "FOLLOWER").setLeader(leader).setTerm(2)
        .setCommitIndex(commit).setAppliedIndex(commit).setSnapshotIndex(-1).setLogStartIndex(0)
        .addAllVoters(ALL);
    if (node.equals(leader)) {
      for (String v : ALL) {
        g.putPeerCommitIndex(v, commit);
      }
    }
    return g;
  }

  private static MemberReport node(String id, PartitionGroupStatus.Builder... groups) {
    NodeStatus.Builder s = NodeStatus.newBuilder().setNodeId(id).setGrpcEndpoint("127.0.0.1:1")
        .setUptimeMillis(61_000);
    for (PartitionGroupStatus.Builder g : groups) {
      s.addPartitions(g);
    }
    return MemberReport.answered(id, "127.0.0.1:1", s.build());
  }

  /** Three nodes, partition 0 led by node-1, partition 1 by node-2, all at commit 50. */
  private static List<MemberReport> healthyCluster() {
    List<MemberReport> out = new ArrayList<>();
    for (String n : ALL) {
      out.add(node(n, group(0, n, "node-1", 50), group(1, n, "node-2", 50)));
    }
    return out;
  }

  @Test
  void everyMemberUpAndEveryVoterCaughtUpIsHealthy() {
    ClusterHealth h = ClusterHealth.assess(healthyCluster(), 2, 3, MAX_LAG);
    assertTrue(h.healthy(), h.toString());
    assertEquals(List.of("node-1", "node-2"), h.partitions().stream().map(ClusterHealth.Partition::leader).toList());
    assertEquals(List.of(2, 2, 2), h.members().stream().map(ClusterHealth.Member::voterOf).toList());
    assertEquals(List.of(1, 1, 0), h.members().stream().map(ClusterHealth.Member::leaderOf).toList());
    assertEquals(List.of(), h.partitions().get(0).problems());
    assertEquals(ALL, h.partitions().get(1).reachableVoters());
  }

  @Test
  void anUnreachableVoterMakesEveryPartitionItVotesInUnderReplicated() {
    List<MemberReport> r = healthyCluster();
    r.set(2, MemberReport.failed("node-3", "127.0.0.1:3", "UNAVAILABLE: connection refused"));
    ClusterHealth h = ClusterHealth.assess(r, 2, 3, MAX_LAG);
    assertFalse(h.healthy());
    assertFalse(h.members().get(2).reachable());
    assertEquals(2, h.members().get(2).voterOf(), "the others still list node-3 as a voter");
    for (ClusterHealth.Partition p : h.partitions()) {
      assertTrue(p.underReplicated(), p.toString());
      assertFalse(p.leaderless(), "the two left agree on a leader");
      assertEquals(List.of("node-1", "node-2"), p.reachableVoters());
      assertEquals(List.of("node-3 unreachable"), p.problems());
    }
  }

  @Test
  void aLeaderNamedByTheMajorityButUnreachableLeavesThePartitionLeaderless() {
    List<MemberReport> r = healthyCluster();
    r.set(0, MemberReport.failed("node-1", "127.0.0.1:1", "DEADLINE_EXCEEDED: no answer"));
    ClusterHealth h = ClusterHealth.assess(r, 2, 3, MAX_LAG);
    ClusterHealth.Partition p0 = h.partitions().get(0);
    assertTrue(p0.leaderless());
    assertTrue(p0.problems().contains("leader node-1 not reachable"), p0.problems().toString());
    assertFalse(h.partitions().get(1).leaderless());
  }

  @Test
  void votersThatDisagreeOnTheLeaderGiveNoLeader() {
    List<MemberReport> r = List.of(
        node("node-1", group(0, "node-1", "node-1", 50)),
        node("node-2", group(0, "node-2", "node-3", 50)),
        MemberReport.failed("node-3", "h:3", "UNAVAILABLE"));
    ClusterHealth.Partition p = ClusterHealth.assess(r, 1, 3, MAX_LAG).partitions().get(0);
    assertTrue(p.leaderless());
    assertEquals("", p.leader());
  }

  @Test
  void aReachableVoterWhoseAppliedIndexLagsBeyondTheThresholdIsUnderReplication() {
    List<MemberReport> r = healthyCluster();
    r.set(2, node("node-3", group(0, "node-3", "node-1", 50).setAppliedIndex(50 - MAX_LAG),
        group(1, "node-3", "node-2", 50).setAppliedIndex(50 - MAX_LAG - 1)));
    ClusterHealth h = ClusterHealth.assess(r, 2, 3, MAX_LAG);
    assertTrue(h.partitions().get(0).healthy(), "a lag of exactly the threshold is tolerated");
    ClusterHealth.Partition p1 = h.partitions().get(1);
    assertTrue(p1.underReplicated());
    assertEquals(List.of("node-3 applied 11 behind"), p1.problems());
    assertEquals(ALL, p1.reachableVoters());
  }

  @Test
  void theLeadersViewOfAVoterBehindIsUnderReplication() {
    List<MemberReport> r = healthyCluster();
    r.set(0, node("node-1", group(0, "node-1", "node-1", 50).putPeerCommitIndex("node-2", 20),
        group(1, "node-1", "node-2", 50)));
    ClusterHealth.Partition p0 = ClusterHealth.assess(r, 2, 3, MAX_LAG).partitions().get(0);
    assertTrue(p0.underReplicated());
    assertEquals(List.of("node-2 committed 30 behind (leader's view)"), p0.problems());
  }

  @Test
  void aGroupANodeDoesNotRunCountsAsAMissingVoter() {
    List<MemberReport> r = healthyCluster();
    r.set(1, node("node-2", group(0, "node-2", "node-1", 50),
        PartitionGroupStatus.newBuilder().setPartition(1).setRole("UNKNOWN").setCommitIndex(-1).setAppliedIndex(-1)));
    ClusterHealth.Partition p1 = ClusterHealth.assess(r, 2, 3, MAX_LAG).partitions().get(1);
    assertTrue(p1.underReplicated());
    assertTrue(p1.leaderless(), "node-1 and node-3 name node-2, which does not run the group");
    assertTrue(p1.problems().contains("node-2 not running the group"), p1.problems().toString());
  }

  @Test
  void aConfiguredPartitionNoNodeReportsIsUnderReplicatedAndLeaderless() {
    ClusterHealth h = ClusterHealth.assess(healthyCluster(), 3, 3, MAX_LAG);
    ClusterHealth.Partition p2 = h.partitions().get(2);
    assertTrue(p2.underReplicated() && p2.leaderless());
    assertTrue(p2.problems().contains("no reachable node reports this partition"), p2.problems().toString());
    assertFalse(h.healthy());
  }

  @Test
  void aGroupWithFewerVotersThanExpectedIsUnderReplicated() {
    List<MemberReport> r = new ArrayList<>();
    for (String n : List.of("node-1", "node-2")) {
      r.add(node(n, group(0, n, "node-1", 5).clearVoters().addAllVoters(List.of("node-1", "node-2"))));
    }
    r.add(node("node-3"));
    ClusterHealth.Partition p0 = ClusterHealth.assess(r, 1, 3, MAX_LAG).partitions().get(0);
    assertTrue(p0.underReplicated());
    assertEquals(List.of("only 2 voter(s) configured"), p0.problems());
  }

  @Test
  void printsACompactTableAndValidJsonShapedOutput() {
    List<MemberReport> r = healthyCluster();
    r.set(2, MemberReport.failed("node-3", "127.0.0.1:3", "UNAVAILABLE: say \"no\""));
    ClusterHealth h = ClusterHealth.assess(r, 2, 3, MAX_LAG);
    StringWriter table = new StringWriter();
    ClusterStatusReport.printTable(h, ClusterCommand.DEGRADED, new PrintWriter(table, true));
    assertTrue(table.toString().contains("UNREACHABLE"), table.toString());
    assertTrue(table.toString().contains("UNDER-REPLICATED"), table.toString());
    assertTrue(table.toString().strip().endsWith("DEGRADED (exit 3)"), table.toString());
    StringWriter json = new StringWriter();
    ClusterStatusReport.printJson(h, ClusterCommand.DEGRADED, new PrintWriter(json, true));
    assertTrue(json.toString().startsWith("{\"healthy\":false,\"exitCode\":3,"), json.toString());
    assertTrue(json.toString().contains("\"error\":\"UNAVAILABLE: say \\\"no\\\"\""), json.toString());
    assertEquals("1m01s", ClusterStatusReport.duration(61_000));
    assertEquals("2h00m", ClusterStatusReport.duration(7_200_000));
  }

  @Test
  void thePlacementMapVersionIsTheHighestReportedAndMembersBehindAreNamed() {
    List<MemberReport> r = new ArrayList<>();
    long[] versions = {3, 2, 3};
    for (int i = 0; i < ALL.size(); i++) {
      String n = ALL.get(i);
      MemberReport m = node(n, group(0, n, "node-1", 50));
      r.add(MemberReport.answered(n, m.endpoint(), m.status().toBuilder().setPlacementVersion(versions[i]).build()));
    }
    ClusterHealth h = ClusterHealth.assess(r, 1, 3, MAX_LAG);
    assertEquals(3, h.placementVersion());
    assertEquals(List.of("node-2"), h.placementBehind());
    StringWriter table = new StringWriter();
    ClusterStatusReport.printTable(h, 0, new PrintWriter(table, true));
    assertTrue(table.toString().contains("placement map version 3 (older version on node-2)"), table.toString());
    StringWriter json = new StringWriter();
    ClusterStatusReport.printJson(h, 0, new PrintWriter(json, true));
    assertTrue(json.toString().contains("\"placementVersion\":3,\"placementBehind\":[\"node-2\"]"), json.toString());
  }
}
