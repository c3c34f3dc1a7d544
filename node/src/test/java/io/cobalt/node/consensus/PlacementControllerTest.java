package io.cobalt.node.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.node.ClusterPeer;
import io.cobalt.proto.node.v1.PlacementMap;
import io.cobalt.proto.node.v1.PlacementUpdateResult;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The controller's order of steps (ADR 0037) with a fake Raft side: a meta step whose admin call
 * hangs fails at its bound and the partitions' replacements go on; a failing partition goes after
 * the others; rebalancing waits until every node has been present for a rebalancing interval.
 */
class PlacementControllerTest {
  private static final long GRACE = 1_000;
  private static final long CALL_BOUND = 300;

  private static final List<ClusterPeer> PEERS = List.of(peer("n0"), peer("n1"), peer("n2"), peer("n3"), peer("n4"));

  private static ClusterPeer peer(String id) {
    return new ClusterPeer(id, "127.0.0.1", 20_000 + id.charAt(1));
  }

  /** A clock the test moves. */
  private static final class TestClock extends Clock {
    final AtomicLong millis = new AtomicLong(1_000_000);

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }

  private final PartitionGroups groups = new PartitionGroups(PEERS, 8, 3);
  private final TestClock clock = new TestClock();
  private final Set<String> live = new HashSet<>();
  /** Steps the fake Raft side was asked for: "meta" or the partition number, and how each ended. */
  private final List<String> attempts = new CopyOnWriteArrayList<>();
  private final Set<Integer> failingPartitions = new HashSet<>();
  private volatile boolean metaHangs = true;

  private PlacementController controller(PlacementConfig config) {
    PlacementController.Swapper swapper = (calls, group, removed, added, nextIds) -> {
      String what = group.getGroupId().equals(groups.meta().getGroupId()) ? "meta"
          : Integer.toString(groups.partitionOf(group.getGroupId()).getAsInt());
      attempts.add(what);
      if (what.equals("meta") && metaHangs) {
        // a setConfiguration that never answers, as in the ChaosOpsIT run
        calls.call("setConfiguration of the meta group", () -> {
          Thread.sleep(60_000);
          return null;
        });
      }
      if (!what.equals("meta") && failingPartitions.contains(Integer.parseInt(what))) {
        throw new java.io.IOException("partition " + what + " refused (test)");
      }
    };
    PlacementController.Proposer proposer = update -> {
      groups.update(update.getMap());
      return PlacementUpdateResult.newBuilder().setApplied(true).setCurrent(groups.map()).build();
    };
    return new PlacementController("test", null, groups, g -> null, () -> Set.copyOf(live), clock, config,
        proposer, swapper);
  }

  private static PlacementConfig config(long rebalanceMillis) {
    return new PlacementConfig(100, GRACE, 10_000, rebalanceMillis, CALL_BOUND);
  }

  private static List<Integer> partitionsOf(PlacementMap map, String node) {
    List<Integer> out = new ArrayList<>();
    for (int p = 0; p < map.getPartitionsCount(); p++) {
      if (map.getPartitions(p).getNodeIdsList().contains(node)) {
        out.add(p);
      }
    }
    return out;
  }

  /** A node that is a meta voter and votes in at least two partitions. */
  private String goneMetaVoter() {
    for (String id : groups.metaVoterIds()) {
      if (partitionsOf(groups.map(), id).size() >= 2) {
        return id;
      }
    }
    throw new AssertionError("no meta voter with two partitions in " + groups.map());
  }

  private void loseAfterGrace(PlacementController c, String gone) {
    PEERS.forEach(p -> live.add(p.nodeId()));
    live.remove(gone);
    c.runOnce(); // starts the grace period
    attempts.clear();
    clock.millis.addAndGet(GRACE);
  }

  @Test
  void aHangingMetaStepFailsAtItsBoundAndThePartitionsAreReplacedMeanwhile() {
    PlacementController c = controller(config(0));
    String gone = goneMetaVoter();
    List<Integer> affected = partitionsOf(groups.map(), gone);
    loseAfterGrace(c, gone);

    long t0 = System.nanoTime();
    c.runOnce();
    long roundMillis = (System.nanoTime() - t0) / 1_000_000;
    // the meta step was tried, failed at the bound (not the 60 s of the hung call), and the same
    // round replaced the first affected partition
    assertEquals(List.of("meta", Integer.toString(affected.get(0))), attempts);
    assertTrue(roundMillis < 10_000, "round took " + roundMillis + " ms");
    assertFalse(groups.map().getPartitions(affected.get(0)).getNodeIdsList().contains(gone));

    // next round: a partition goes first, the meta group is not tried
    attempts.clear();
    c.runOnce();
    assertEquals(List.of(Integer.toString(affected.get(1))), attempts);

    // the round after tries the meta group again; once it answers, it is replaced
    metaHangs = false;
    attempts.clear();
    c.runOnce();
    assertEquals(List.of("meta"), attempts);
    assertFalse(groups.metaVoterIds().contains(gone));

    // and the remaining partitions follow, one per round
    for (int i = 0; i < 20 && !partitionsOf(groups.map(), gone).isEmpty(); i++) {
      c.runOnce();
    }
    assertEquals(List.of(), partitionsOf(groups.map(), gone));
  }

  @Test
  void aFailingPartitionIsRetriedAfterTheOtherPartitions() {
    PlacementController c = controller(config(0));
    metaHangs = false;
    String gone = goneMetaVoter();
    List<Integer> affected = partitionsOf(groups.map(), gone);
    int first = affected.get(0);
    failingPartitions.add(first);
    loseAfterGrace(c, gone);

    c.runOnce(); // the meta group
    c.runOnce(); // the first partition, which fails
    c.runOnce(); // the next round goes on with the second
    assertEquals(List.of("meta", Integer.toString(first), Integer.toString(affected.get(1))), attempts);
    assertTrue(groups.map().getPartitions(first).getNodeIdsList().contains(gone));
    assertFalse(groups.map().getPartitions(affected.get(1)).getNodeIdsList().contains(gone));

    // once it works again it is replaced too
    failingPartitions.clear();
    for (int i = 0; i < 20 && !partitionsOf(groups.map(), gone).isEmpty(); i++) {
      c.runOnce();
    }
    assertEquals(List.of(), partitionsOf(groups.map(), gone));
  }

  @Test
  void noRebalancingWhileANodeIsAbsentOrUntilEveryNodeHasBeenBackForAnInterval() {
    long interval = 5_000;
    PlacementController c = controller(config(interval));
    metaHangs = false;
    String gone = goneMetaVoter();
    loseAfterGrace(c, gone);
    for (int i = 0; i < 20 && !partitionsOf(groups.map(), gone).isEmpty(); i++) {
      c.runOnce();
    }
    assertEquals(List.of(), partitionsOf(groups.map(), gone));
    // The node returns with no voter left: the cluster is uneven, but the returned node's
    // replicas may still be catching up, so nothing moves for a rebalancing interval.
    live.add(gone);
    attempts.clear();
    c.runOnce();
    clock.millis.addAndGet(interval - 1);
    c.runOnce();
    assertEquals(List.of(), attempts, "no move before every node has been present for the interval");
    clock.millis.addAndGet(1);
    c.runOnce();
    assertEquals(1, attempts.size(), "one move once the interval has passed: " + attempts);
    assertEquals(1, partitionsOf(groups.map(), gone).size());
  }
}
