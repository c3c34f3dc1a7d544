package io.cobalt.cli.admin;

import io.cobalt.proto.node.v1.HealStatus;
import io.cobalt.proto.node.v1.NodeStatus;
import io.cobalt.proto.node.v1.PartitionGroupStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What {@code cobalt admin cluster status} concludes from the nodes' answers: each member, and
 * each partition's leader and replication. Pure: built from the {@link NodeStatus} replies (or
 * errors) of the nodes that were asked, so it tests with hand-built statuses.
 *
 * <p>A partition is <b>under-replicated</b> when fewer than {@code expectedVoters} of its voters
 * are reachable and run the group, or a reachable voter's applied index is more than
 * {@code maxLag} entries behind the leader's commit index, or the leader's view of a voter's commit
 * index (its {@code peer_commit_index}) is more than {@code maxLag} behind. It has <b>no leader</b>
 * when no leader is named by a strict majority of the reachable voters that run the group, or the
 * leader so named is not reachable or does not consider itself leader. The cluster is healthy when
 * every member answered and no partition is under-replicated or leaderless.
 *
 * @param members every node asked, in the order asked
 * @param partitions every partition, in order
 * @param repairBacklog the sum of the reachable members' repair backlogs
 * @param placementVersion the highest placement map version a reachable member knows (ADR 0021);
 *     0 if none reports one
 * @param placementBehind reachable members that know an older map version (they catch up within
 *     their refresh interval)
 */
record ClusterHealth(List<Member> members, List<Partition> partitions, long repairBacklog, long placementVersion,
    List<String> placementBehind) {

  ClusterHealth(List<Member> members, List<Partition> partitions, long repairBacklog) {
    this(members, partitions, repairBacklog, 0, List.of());
  }

  /**
   * One node's answer.
   *
   * @param name the node's configured id, or its endpoint if none is configured
   * @param endpoint host:port asked
   * @param status the reply, or null if the node did not answer
   * @param error why the node did not answer, or null
   */
  record MemberReport(String name, String endpoint, NodeStatus status, String error) {
    static MemberReport answered(String name, String endpoint, NodeStatus status) {
      return new MemberReport(name, endpoint, status, null);
    }

    static MemberReport failed(String name, String endpoint, String error) {
      return new MemberReport(name, endpoint, null, error);
    }

    String id() {
      return status != null && !status.getNodeId().isEmpty() ? status.getNodeId() : name;
    }
  }

  /**
   * One member as the table shows it.
   *
   * @param voterOf partitions whose current voters (as the reachable nodes know them) include it
   * @param leaderOf partitions whose agreed leader it is
   * @param uptimeMillis -1 if unreachable
   * @param repairBacklog -1 if unreachable
   * @param heal the node's chunk-healing figures; null if unreachable
   */
  record Member(String id, String endpoint, boolean reachable, String error, long uptimeMillis, int voterOf,
      int leaderOf, long repairBacklog, HealStatus heal) {}

  /**
   * Replicas found missing by the last anti-entropy pass of each reachable node that runs healing
   * (each node walks the partitions it leads, so the sum counts each missing replica once); -1 if
   * no reachable node runs healing or none has completed a pass yet.
   */
  long underReplicatedChunks() {
    long sum = 0;
    boolean any = false;
    for (Member m : members) {
      if (m.heal() != null && m.heal().getEnabled() && m.heal().getAntiEntropyLastPassEpochMillis() > 0) {
        any = true;
        sum += m.heal().getAntiEntropyUnderReplicated();
      }
    }
    return any ? sum : -1;
  }

  /**
   * One partition as the table shows it.
   *
   * @param leader the leader a majority of reachable voters names, or empty
   * @param term the leader's term as it reports it, -1 if the leader did not report
   * @param commitIndex the leader's commit index, or the highest any reachable voter reports
   * @param voters the current voters, as the reachable nodes know them
   * @param reachableVoters the voters that answered and run the group
   * @param underReplicated see the class comment
   * @param leaderless see the class comment
   * @param problems one phrase per finding, empty when healthy
   */
  record Partition(int partition, String leader, long term, long commitIndex, List<String> voters,
      List<String> reachableVoters, boolean underReplicated, boolean leaderless, List<String> problems) {
    boolean healthy() {
      return !underReplicated && !leaderless;
    }
  }

  boolean healthy() {
    return members.stream().allMatch(Member::reachable) && partitions.stream().allMatch(Partition::healthy);
  }

  long underReplicatedCount() {
    return partitions.stream().filter(Partition::underReplicated).count();
  }

  long leaderlessCount() {
    return partitions.stream().filter(Partition::leaderless).count();
  }

  /**
   * @param reports every node asked
   * @param partitionCount the cluster's partition count if known from its configuration, else -1
   *     (then: one more than the highest partition any node reports)
   * @param expectedVoters voters a partition should have (3; fewer in a smaller cluster)
   * @param maxLag how many log entries a voter may be behind the leader's commit index
   */
  static ClusterHealth assess(List<MemberReport> reports, int partitionCount, int expectedVoters, long maxLag) {
    Map<String, Map<Integer, PartitionGroupStatus>> byNode = new HashMap<>();
    int highest = -1;
    for (MemberReport r : reports) {
      if (r.status() != null) {
        Map<Integer, PartitionGroupStatus> groups = new HashMap<>();
        for (PartitionGroupStatus g : r.status().getPartitionsList()) {
          groups.put(g.getPartition(), g);
          highest = Math.max(highest, g.getPartition());
        }
        byNode.put(r.id(), groups);
      }
    }
    int count = partitionCount >= 0 ? partitionCount : highest + 1;
    Set<String> asked = new TreeSet<>();
    reports.forEach(r -> asked.add(r.id()));

    List<Partition> partitions = new ArrayList<>(count);
    for (int p = 0; p < count; p++) {
      partitions.add(assessPartition(p, byNode, asked, expectedVoters, maxLag));
    }

    List<Member> members = new ArrayList<>();
    long backlog = 0;
    for (MemberReport r : reports) {
      String id = r.id();
      int voterOf = (int) partitions.stream().filter(x -> x.voters().contains(id)).count();
      int leaderOf = (int) partitions.stream().filter(x -> x.leader().equals(id)).count();
      if (r.status() != null) {
        backlog += r.status().getRepairBacklog();
        members.add(new Member(id, r.endpoint(), true, null, r.status().getUptimeMillis(), voterOf, leaderOf,
            r.status().getRepairBacklog(), r.status().getHeal()));
      } else {
        members.add(new Member(id, r.endpoint(), false, r.error(), -1, voterOf, leaderOf, -1, null));
      }
    }
    long placementVersion = reports.stream().filter(r -> r.status() != null)
        .mapToLong(r -> r.status().getPlacementVersion()).max().orElse(0);
    List<String> behind = reports.stream()
        .filter(r -> r.status() != null && r.status().getPlacementVersion() < placementVersion)
        .map(MemberReport::id).toList();
    return new ClusterHealth(List.copyOf(members), List.copyOf(partitions), backlog, placementVersion, behind);
  }

  private static Partition assessPartition(int p, Map<String, Map<Integer, PartitionGroupStatus>> byNode,
      Set<String> asked, int expectedVoters, long maxLag) {
    // Each answering node's view of this group; "running" excludes a group the node reports as UNKNOWN.
    Map<String, PartitionGroupStatus> running = new TreeMap<>();
    Set<String> voters = new TreeSet<>();
    Set<String> notRunning = new TreeSet<>();
    for (Map.Entry<String, Map<Integer, PartitionGroupStatus>> node : byNode.entrySet()) {
      PartitionGroupStatus g = node.getValue().get(p);
      if (g == null) {
        continue;
      }
      voters.addAll(g.getVotersList());
      if ("UNKNOWN".equals(g.getRole())) {
        notRunning.add(node.getKey());
      } else {
        running.put(node.getKey(), g);
      }
    }
    List<String> problems = new ArrayList<>();
    Set<String> reachableVoters = new TreeSet<>();
    for (String v : voters) {
      if (running.containsKey(v)) {
        reachableVoters.add(v);
      } else if (notRunning.contains(v)) {
        problems.add(v + " not running the group");
      } else if (asked.contains(v)) {
        problems.add(v + " unreachable");
      } else {
        problems.add(v + " not asked");
      }
    }
    if (voters.isEmpty()) {
      problems.add("no reachable node reports this partition");
    }
    boolean underReplicated = reachableVoters.size() < expectedVoters;
    if (!voters.isEmpty() && voters.size() < expectedVoters) {
      problems.add("only " + voters.size() + " voter(s) configured");
    }

    // The leader as a strict majority of the reachable, running voters names it.
    Map<String, Integer> votes = new TreeMap<>();
    int views = 0;
    for (Map.Entry<String, PartitionGroupStatus> e : running.entrySet()) {
      if (voters.contains(e.getKey())) {
        views++;
        if (!e.getValue().getLeader().isEmpty()) {
          votes.merge(e.getValue().getLeader(), 1, Integer::sum);
        }
      }
    }
    String leader = "";
    for (Map.Entry<String, Integer> e : votes.entrySet()) {
      if (2 * e.getValue() > views) {
        leader = e.getKey();
      }
    }
    PartitionGroupStatus leaderView = leader.isEmpty() ? null : running.get(leader);
    boolean leaderless = false;
    if (leader.isEmpty()) {
      leaderless = true;
      problems.add(votes.isEmpty() ? "no leader known" : "no leader named by a majority " + votes);
    } else if (leaderView == null) {
      leaderless = true;
      problems.add("leader " + leader + (notRunning.contains(leader) ? " not running the group" : " not reachable"));
    } else if (!"LEADER".equals(leaderView.getRole())) {
      leaderless = true;
      problems.add("leader " + leader + " reports role " + leaderView.getRole());
      leaderView = null;
    }

    long commit = leaderView != null ? leaderView.getCommitIndex()
        : running.values().stream().mapToLong(PartitionGroupStatus::getCommitIndex).max().orElse(-1);
    Set<String> lagging = new LinkedHashSet<>();
    for (String v : reachableVoters) {
      long behind = commit - running.get(v).getAppliedIndex();
      if (behind > maxLag) {
        lagging.add(v);
        problems.add(v + " applied " + behind + " behind");
      }
    }
    if (leaderView != null) {
      for (Map.Entry<String, Long> e : new TreeMap<>(leaderView.getPeerCommitIndexMap()).entrySet()) {
        long behind = commit - e.getValue();
        if (behind > maxLag && reachableVoters.contains(e.getKey()) && !lagging.contains(e.getKey())) {
          lagging.add(e.getKey());
          problems.add(e.getKey() + " committed " + behind + " behind (leader's view)");
        } else if (behind > maxLag && !reachableVoters.contains(e.getKey()) && voters.contains(e.getKey())) {
          problems.add(e.getKey() + " last committed " + behind + " behind (leader's view)");
        }
      }
    }
    underReplicated |= !lagging.isEmpty();
    return new Partition(p, leader, leaderView == null ? -1 : leaderView.getTerm(), commit, List.copyOf(voters),
        List.copyOf(reachableVoters), underReplicated, leaderless, List.copyOf(problems));
  }
}
