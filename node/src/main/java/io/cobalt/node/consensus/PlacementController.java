package io.cobalt.node.consensus;

import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementUpdate;
import io.cobalt.proto.node.v1.PlacementUpdateResult;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces the voters of gone nodes (ADR 0021). Runs on the node's placement thread, only while the
 * node leads the meta group, one replacement per round (rate limit: one partition at a time):
 *
 * <ol>
 *   <li>the new node gets the partition's group with itself as a listener (Ratis group add);
 *   <li>the group's configuration gains it as a listener; the leader sends it its snapshot and
 *       log, and the controller waits until it has applied the group's commit index;
 *   <li>one configuration change (Ratis joint consensus) makes it a voter and removes the gone one;
 *   <li>the new map version is committed to the meta group (compare-and-set on the version).
 * </ol>
 *
 * A round that fails midway leaves the map unchanged; a later round plans the same step again
 * (the choice is deterministic) and each step tolerates having been done already.
 *
 * <p>Every Ratis admin call is bounded ({@link PlacementConfig#adminCallTimeoutMillis}, ADR 0037),
 * and a group whose step failed (or timed out) goes after the others on the next round: a failed
 * meta step lets that round's partition step run and skips the meta group on the next round when a
 * partition step is pending; a failed partition step is retried once no other partition needs a
 * replacement. Rebalancing waits until no node has been absent for a rebalancing interval.
 */
final class PlacementController {
  private static final Logger log = LoggerFactory.getLogger(PlacementController.class);

  interface Proposer {
    PlacementUpdateResult propose(PlacementUpdate update) throws IOException;
  }

  /**
   * The Raft side of one step (learner, catch-up, swap) in {@code current}'s group: {@code added}
   * replaces {@code removed}, {@code nextIds} are the voters afterwards. Every blocking call goes
   * through {@code calls}. Tests replace it.
   */
  interface Swapper {
    void swap(BoundedCalls calls, RaftGroup current, String removed, String added, List<String> nextIds)
        throws IOException, InterruptedException;
  }

  private final String nodeId;
  private final RaftServer server;
  private final PartitionGroups groups;
  private final Supplier<Set<String>> liveNodes;
  private final Clock clock;
  private final PlacementConfig config;
  private final java.util.function.Function<RaftGroup, RaftClient> clients;
  private final Proposer proposer;
  private final Swapper swapper;
  private final BoundedCalls calls;
  private final PlacementPlanner planner = new PlacementPlanner();
  /** The meta group's last step failed: a pending partition step goes first on the next round. */
  private boolean metaDeferred;
  /** Partitions whose last step failed: tried again once no other partition needs a step. */
  private final Set<Integer> deferredPartitions = new java.util.TreeSet<>();
  /** A rebalancing move needs the most-loaded node to have this many more voter slots than the least. */
  static final int REBALANCE_MIN_SKEW = 2;
  private long lastMoveMillis = Long.MIN_VALUE / 2;
  private final List<Long> moveDurations = new ArrayList<>();

  PlacementController(String nodeId, RaftServer server, PartitionGroups groups,
      java.util.function.Function<RaftGroup, RaftClient> clients, Supplier<Set<String>> liveNodes, Clock clock,
      PlacementConfig config, Proposer proposer) {
    this(nodeId, server, groups, clients, liveNodes, clock, config, proposer, null);
  }

  /** With {@code swapper} doing the Raft side of each step (null: the Ratis procedure). */
  PlacementController(String nodeId, RaftServer server, PartitionGroups groups,
      java.util.function.Function<RaftGroup, RaftClient> clients, Supplier<Set<String>> liveNodes, Clock clock,
      PlacementConfig config, Proposer proposer, Swapper swapper) {
    this.nodeId = nodeId;
    this.server = server;
    this.groups = groups;
    this.clients = clients;
    this.liveNodes = liveNodes;
    this.clock = clock;
    this.config = config;
    this.proposer = proposer;
    this.swapper = swapper != null ? swapper : this::ratisSwap;
    this.calls = new BoundedCalls(config.adminCallTimeoutMillis());
  }

  /** One round: plan, and carry out at most one replacement (else one rebalancing move). */
  void runOnce() {
    Set<String> live = liveNodes.get();
    // observe() always runs: rebalancing needs to know when a node was last absent
    Set<String> absentPastGrace = planner.observe(groups.peers(), live, clock.millis(), config.replaceAfterMillis());
    Set<String> gone = config.replaces() ? absentPastGrace : Set.of();
    if (gone.isEmpty()) {
      metaDeferred = false;
      deferredPartitions.clear();
      rebalanceOnce(live);
      return;
    }
    boolean metaPending = PlacementPlanner.nextMeta(groups.map(), groups.metaVoterIds(), groups.peers(), live, gone)
        .isPresent();
    if (metaPending) {
      if (metaDeferred && nextPartitionStep(live, gone).isPresent()) {
        metaDeferred = false; // this round belongs to a partition; the meta group is tried on the next
      } else if (replaceMetaVoterOnce(live, gone)) {
        metaDeferred = false;
        return;
      } else {
        metaDeferred = true; // failed: this round goes on to a partition, and the next starts with one
      }
    }
    Optional<PlacementPlanner.Replacement> step = nextPartitionStep(live, gone);
    if (step.isEmpty()) {
      retireGone(gone);
      return;
    }
    PlacementPlanner.Replacement r = step.get();
    long t0 = System.nanoTime();
    log.info("node {}: placement: partition {}: replacing voter {} (absent past the grace period) by {}", nodeId,
        r.partition(), r.removed(), r.added());
    try {
      replace(r);
      PlacementUpdateResult result = proposer.propose(PlacementUpdate.newBuilder()
          .setExpectedVersion(r.next().getVersion() - 1).setMap(withGoneRetired(r.next(), gone)).build());
      log.info("node {}: placement: partition {}: {} replaced {} in {} ms; map version {} {}", nodeId, r.partition(),
          r.added(), r.removed(), (System.nanoTime() - t0) / 1_000_000, result.getCurrent().getVersion(),
          result.getApplied() ? "committed" : "not committed (the map changed meanwhile)");
      deferredPartitions.remove(r.partition());
    } catch (IOException | RuntimeException e) {
      deferredPartitions.add(r.partition());
      log.warn("node {}: placement: partition {}: replacing {} by {} failed after {} ms (tried again on a later"
          + " round, after the other partitions): {}", nodeId, r.partition(), r.removed(), r.added(),
          (System.nanoTime() - t0) / 1_000_000, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The next partition replacement, skipping partitions whose last step failed while another
   * partition needs one; once only those are left, they are tried again.
   */
  private Optional<PlacementPlanner.Replacement> nextPartitionStep(Set<String> live, Set<String> gone) {
    Optional<PlacementPlanner.Replacement> step =
        PlacementPlanner.next(groups.map(), groups.peers(), live, gone, deferredPartitions);
    if (step.isEmpty() && !deferredPartitions.isEmpty()) {
      deferredPartitions.clear();
      step = PlacementPlanner.next(groups.map(), groups.peers(), live, gone);
    }
    return step;
  }

  // ------------------------------------------------------------ chunk retirement (ADR 0028)

  /**
   * {@code next} with the gone nodes retired from chunk placement: the first map version the
   * controller commits after a node is gone carries its retirement, so anti-entropy starts
   * re-replicating its chunks while its voters are being replaced.
   */
  private PlacementMap withGoneRetired(PlacementMap next, Set<String> gone) {
    return ChunkRetirement.withRetired(next, configuredIds(), gone);
  }

  /** No voter left to replace (or none replaceable): gone nodes not yet retired get a map version of their own. */
  private void retireGone(Set<String> gone) {
    PlacementMap current = groups.map();
    PlacementMap retired = ChunkRetirement.withRetired(current, configuredIds(), gone);
    if (retired == current) {
      return;
    }
    PlacementMap next = retired.toBuilder().setVersion(current.getVersion() + 1).build();
    try {
      PlacementUpdateResult result = proposer.propose(PlacementUpdate.newBuilder()
          .setExpectedVersion(current.getVersion()).setMap(next).build());
      log.info("node {}: placement: retired {} from chunk placement; map version {} {}", nodeId,
          next.getRetiredNodeIdsList(), result.getCurrent().getVersion(),
          result.getApplied() ? "committed" : "not committed (the map changed meanwhile)");
    } catch (IOException | RuntimeException e) {
      log.warn("node {}: placement: retiring {} failed (tried again next round): {}", nodeId, gone, e.toString());
    }
  }

  private List<String> configuredIds() {
    return groups.peers().stream().map(io.cobalt.node.ClusterPeer::nodeId).toList();
  }

  // ---- node join and rebalancing, meta voters (ADR 0029) ----

  /**
   * One rebalancing move (ADR 0029), at most one per {@code rebalanceIntervalMillis}: the same
   * learner, catch-up, joint-consensus swap as a replacement, then the map. The moved-away node
   * drops its replica of the group itself when it sees the map (RaftPartitionServer's stray rule).
   */
  private void rebalanceOnce(Set<String> live) {
    long now = clock.millis();
    if (!config.rebalances() || now - lastMoveMillis < config.rebalanceIntervalMillis()) {
      return;
    }
    // Replacement first, rebalancing after (ADR 0037): a node that was absent (or has just come
    // back, its replicas still catching up) leaves groups short of live voters.
    if (planner.allPresentForMillis(now) < config.rebalanceIntervalMillis()) {
      return;
    }
    Optional<PlacementPlanner.Replacement> step = PlacementPlanner.rebalance(groups.map(), groups.metaVoterIds(),
        groups.peers(), live, REBALANCE_MIN_SKEW);
    if (step.isEmpty()) {
      return;
    }
    PlacementPlanner.Replacement r = step.get();
    lastMoveMillis = clock.millis();
    long t0 = System.nanoTime();
    log.info("node {}: placement: partition {}: moving a voter from {} to {} (rebalancing)", nodeId, r.partition(),
        r.removed(), r.added());
    try {
      replace(r);
      PlacementUpdateResult result = proposer.propose(PlacementUpdate.newBuilder()
          .setExpectedVersion(r.next().getVersion() - 1).setMap(r.next()).build());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      synchronized (moveDurations) {
        if (moveDurations.size() == 1000) {
          moveDurations.remove(0);
        }
        moveDurations.add(ms);
      }
      log.info("node {}: placement: partition {}: moved from {} to {} in {} ms; map version {} {}", nodeId,
          r.partition(), r.removed(), r.added(), ms, result.getCurrent().getVersion(),
          result.getApplied() ? "committed" : "not committed (the map changed meanwhile)");
    } catch (IOException | RuntimeException e) {
      log.warn("node {}: placement: partition {}: moving from {} to {} failed (tried again next round): {}", nodeId,
          r.partition(), r.removed(), r.added(), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** How long each rebalancing move took (group add to map commit), ms; the latest 1000. */
  List<Long> moveDurationsMillis() {
    synchronized (moveDurations) {
      return List.copyOf(moveDurations);
    }
  }

  /**
   * Replaces a gone voter of the meta group itself (ADR 0029) if it still has a live majority;
   * true if a step was carried out (a failed one returns false so the partitions' replacements still go ahead). The map's {@code meta_voters} then names the new voters.
   */
  private boolean replaceMetaVoterOnce(Set<String> live, Set<String> gone) {
    List<String> metaVoters = groups.metaVoterIds();
    Optional<PlacementPlanner.MetaReplacement> step =
        PlacementPlanner.nextMeta(groups.map(), metaVoters, groups.peers(), live, gone);
    if (step.isEmpty()) {
      return false;
    }
    PlacementPlanner.MetaReplacement r = step.get();
    long t0 = System.nanoTime();
    log.info("node {}: placement: meta group: replacing voter {} (absent past the grace period) by {}", nodeId,
        r.removed(), r.added());
    try {
      swapper.swap(calls, groups.meta(), r.removed(), r.added(), r.next().getMetaVotersList());
      PlacementUpdateResult result = proposer.propose(PlacementUpdate.newBuilder()
          .setExpectedVersion(r.next().getVersion() - 1).setMap(r.next()).build());
      log.info("node {}: placement: meta group: {} replaced {} in {} ms; map version {} {}", nodeId, r.added(),
          r.removed(), (System.nanoTime() - t0) / 1_000_000, result.getCurrent().getVersion(),
          result.getApplied() ? "committed" : "not committed (the map changed meanwhile)");
    } catch (IOException | RuntimeException e) {
      log.warn("node {}: placement: meta group: replacing {} by {} failed after {} ms (tried again on a later"
          + " round; a pending partition step goes first): {}", nodeId, r.removed(), r.added(),
          (System.nanoTime() - t0) / 1_000_000, e.toString());
      return false; // a failing meta step must not hold back the partitions' replacements
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // stopping: the round ends here
    }
    return true;
  }

  private void replace(PlacementPlanner.Replacement r) throws IOException, InterruptedException {
    swapper.swap(calls, groups.group(r.partition()), r.removed(), r.added(),
        r.next().getPartitions(r.partition()).getNodeIdsList());
  }

  /**
   * In {@code current}'s group: {@code added} joins as a listener, catches up, and replaces
   * {@code removed} in one configuration change; {@code nextIds} are the voters afterwards.
   */
  private void ratisSwap(BoundedCalls calls, RaftGroup current, String removedId, String addedId,
      List<String> nextIds) throws IOException, InterruptedException {
    RaftGroupId gid = current.getGroupId();
    RaftPeer added = groups.raftPeer(addedId);
    RaftPeer listener = RaftPeer.newBuilder(added).setStartupRole(RaftPeerRole.LISTENER).build();
    List<RaftPeer> voters = new ArrayList<>(current.getPeers());
    try (RaftClient client = clients.apply(current)) {
      // 1. The new node runs the group, as a listener.
      List<RaftPeer> withListener = new ArrayList<>(voters);
      withListener.add(listener);
      try {
        RaftClientReply add = calls.call("adding group " + gid + " on " + addedId,
            () -> client.getGroupManagementApi(added.getId()).add(RaftGroup.valueOf(gid, withListener)));
        if (!add.isSuccess() && !String.valueOf(add.getException()).contains("already")) {
          throw new IOException("adding the group on " + addedId + " failed: " + add.getException());
        }
      } catch (AlreadyExistsException e) {
        // a previous round got this far
      }
      // 2. The group gains it as a listener; the leader brings it up to date (snapshot, then log).
      boolean alreadyVoter = voters.stream().anyMatch(p -> p.getId().equals(added.getId()));
      if (!alreadyVoter) {
        RaftClientReply asListener = calls.call("adding " + addedId + " to group " + gid + " as a listener",
            () -> client.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                .setServersInNewConf(voters).setListenersInNewConf(List.of(listener)).build()));
        requireSuccess(asListener, "adding " + addedId + " as a listener");
      }
      awaitCaughtUp(calls, client, gid, voters, added.getId(), removedId);
      handLeadershipAway(calls, client, gid, voters, removedId);
      // 3. Promote it and remove the gone voter in one configuration change (joint consensus).
      List<RaftPeer> next = new ArrayList<>();
      for (RaftPeer v : voters) {
        next.add(v.getId().toString().equals(removedId) ? added : v);
      }
      if (alreadyVoter) {
        next = groups.raftPeers(nextIds);
      }
      List<RaftPeer> nextPeers = next;
      RaftClientReply swap = calls.call("promoting " + addedId + " and removing " + removedId + " in group " + gid,
          () -> client.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
              .setServersInNewConf(nextPeers).setListenersInNewConf(List.of()).build()));
      requireSuccess(swap, "promoting " + addedId + " and removing " + removedId);
    }
  }

  /**
   * If the voter to be removed leads the group (a rebalancing move takes a live voter away), the
   * leadership moves to another voter first: a Ratis leader that commits a configuration without
   * itself closes its own division from its leader thread, which blocked for minutes in tests
   * (ADR 0029).
   */
  private void handLeadershipAway(BoundedCalls calls, RaftClient client, RaftGroupId gid, List<RaftPeer> voters,
      String removedId) throws IOException, InterruptedException {
    RaftPeerId removed = RaftPeerId.valueOf(removedId);
    if (voters.stream().noneMatch(v -> v.getId().equals(removed))) {
      return;
    }
    try {
      GroupInfoReply info = calls.call("group info of " + gid + " from " + removedId,
          () -> client.getGroupManagementApi(removed).info(gid));
      if (info.getRoleInfoProto().getRole() != RaftPeerRole.LEADER) {
        return;
      }
    } catch (IOException | RuntimeException e) {
      // not reachable (Ratis' gRPC client may fail with an unchecked StatusRuntimeException): not
      // the leader anyone follows (a gone voter)
      return;
    }
    RaftPeerId to = voters.stream().map(RaftPeer::getId).filter(id -> !id.equals(removed)).findFirst().orElseThrow();
    long transferMillis = Math.min(30_000, calls.timeoutMillis());
    RaftClientReply reply = calls.call("moving the leadership of " + gid + " to " + to,
        () -> client.admin().transferLeadership(to, transferMillis));
    requireSuccess(reply, "moving the leadership of " + gid + " from " + removedId + " to " + to);
  }

  /** Waits until the new replica has applied what a live voter has committed now. */
  private void awaitCaughtUp(BoundedCalls calls, RaftClient client, RaftGroupId gid, List<RaftPeer> voters,
      RaftPeerId added, String removed) throws IOException, InterruptedException {
    long target = -1;
    for (RaftPeer v : voters) {
      if (v.getId().toString().equals(removed)) {
        continue;
      }
      try {
        GroupInfoReply info = calls.call("group info of " + gid + " from " + v.getId(),
            () -> client.getGroupManagementApi(v.getId()).info(gid));
        target = Math.max(target, info.getLogInfoProto().getCommitted().getIndex());
      } catch (IOException | RuntimeException e) {
        log.debug("group info of {} failed: {}", v.getId(), e.toString());
      }
    }
    if (target < 0) {
      throw new IOException("no live voter answered for the group's commit index");
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.catchUpTimeoutMillis());
    while (true) {
      long applied = calls.call("group info of " + gid + " from " + added,
          () -> client.getGroupManagementApi(added).info(gid)).getLogInfoProto().getApplied().getIndex();
      if (applied >= target) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(added + " applied index " + applied + " did not reach " + target + " within "
            + config.catchUpTimeoutMillis() + " ms");
      }
      Thread.sleep(100);
    }
  }

  private static void requireSuccess(RaftClientReply reply, String what) throws IOException {
    if (!reply.isSuccess()) {
      throw new IOException(what + " failed: " + reply.getException());
    }
  }
}
