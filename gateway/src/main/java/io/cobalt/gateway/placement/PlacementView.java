package io.cobalt.gateway.placement;

import io.cobalt.gateway.nodeclient.MetadataClient;
import io.cobalt.proto.node.v1.PlacementMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's copy of the cluster's placement map (ADR 0021): which nodes vote in each
 * partition's Raft group, and which nodes are retired from chunk placement (ADR 0028). Until a node has answered with a map, the voters are the rendezvous
 * choice ({@link RendezvousPlacement#metadataNodesOf}), which is also the map's version 1. A
 * refresh asks the nodes one after another until one answers, and keeps the answer only if its
 * version is higher than the one held, so a lagging node cannot move the view backwards. It runs
 * periodically and whenever a call to a partition's voters failed retriably (a voter gone, or
 * replaced); at most one refresh is in flight.
 *
 * <p>A voter whose call failed retriably is <em>suspect</em> for {@link #SUSPECT_MILLIS} (renewed
 * by every further failure): {@link #votersToTry} puts it after the others (ADR 0039). A node that
 * is down, cut off or paused then costs the first call that meets it, not every call: one whose
 * packets are dropped holds each call until its deadline (8-10 s), and calls kept asking it first.
 */
public final class PlacementView {
  private static final Logger LOG = LoggerFactory.getLogger(PlacementView.class);
  /** How long a voter that failed retriably is asked last. */
  public static final long SUSPECT_MILLIS = 30_000;

  private final RendezvousPlacement rendezvous;
  private final MetadataClient client;
  private final List<String> nodeIds;
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private final Map<String, Long> suspectUntilNanos = new ConcurrentHashMap<>();
  private final LongSupplier nanoClock;
  private volatile PlacementMap map; // null until a node answered

  public PlacementView(RendezvousPlacement rendezvous, MetadataClient client, List<String> nodeIds) {
    this(rendezvous, client, nodeIds, System::nanoTime);
  }

  /** {@code nanoClock} times suspicion (tests). */
  PlacementView(RendezvousPlacement rendezvous, MetadataClient client, List<String> nodeIds, LongSupplier nanoClock) {
    this.rendezvous = rendezvous;
    this.client = client;
    this.nodeIds = List.copyOf(nodeIds);
    this.nanoClock = nanoClock;
  }

  /**
   * The voters of {@code partition} in the order to try them now: the map's order, with the voters
   * suspect at the moment after the others (each group in the map's order).
   */
  public List<String> votersToTry(int partition) {
    List<String> voters = metadataNodesOf(partition);
    if (suspectUntilNanos.isEmpty()) {
      return voters;
    }
    long now = nanoClock.getAsLong();
    List<String> trusted = new ArrayList<>(voters.size());
    List<String> suspect = new ArrayList<>(0);
    for (String v : voters) {
      Long until = suspectUntilNanos.get(v);
      if (until != null && now - until < 0) {
        suspect.add(v);
      } else {
        if (until != null) {
          suspectUntilNanos.remove(v, until);
        }
        trusted.add(v);
      }
    }
    if (suspect.isEmpty()) {
      return voters;
    }
    trusted.addAll(suspect);
    return trusted;
  }

  /** A call to {@code node} failed retriably: ask it last for {@link #SUSPECT_MILLIS}. */
  public void suspect(String node) {
    suspectUntilNanos.put(node, nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(SUSPECT_MILLIS));
  }

  /** A call to {@code node} was answered: it is no longer suspect. */
  public void answered(String node) {
    if (!suspectUntilNanos.isEmpty()) {
      suspectUntilNanos.remove(node);
    }
  }

  /** The voters of {@code partition}, in the order to try them. */
  public List<String> metadataNodesOf(int partition) {
    PlacementMap m = map;
    if (m == null) {
      return rendezvous.metadataNodesOf(partition);
    }
    if (partition < 0 || partition >= m.getPartitionsCount()) {
      throw new IllegalArgumentException("no partition " + partition);
    }
    return m.getPartitions(partition).getNodeIdsList();
  }

  /**
   * The nodes retired from chunk placement (ADR 0028): chunk writes leave them out, reads try them
   * only after the current targets. Empty until a node answered with a map.
   */
  public List<String> retiredNodes() {
    PlacementMap m = map;
    return m == null ? List.of() : m.getRetiredNodeIdsList();
  }

  /** The version of the map held; 0 while the gateway still uses rendezvous placement. */
  public long version() {
    PlacementMap m = map;
    return m == null ? 0 : m.getVersion();
  }

  /** Asks the nodes for their map (unless a refresh is under way); never blocks. */
  public CompletableFuture<Void> refresh() {
    if (!refreshing.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    ask(0, done);
    return done.whenComplete((v, e) -> refreshing.set(false));
  }

  private void ask(int i, CompletableFuture<Void> done) {
    if (i >= nodeIds.size()) {
      done.complete(null);
      return;
    }
    CompletableFuture<PlacementMap> answer;
    try {
      answer = client.placement(nodeIds.get(i));
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((m, e) -> {
      if (e == null && offer(m)) {
        done.complete(null);
      } else {
        ask(i + 1, done);
      }
    });
  }

  /**
   * Takes {@code candidate} if it is a usable map newer than the one held; returns whether the
   * view now holds a map at least as new (so asking further nodes is pointless).
   */
  boolean offer(PlacementMap candidate) {
    if (candidate.getVersion() <= 0 || candidate.getPartitionsCount() != rendezvous.partitions()
        || candidate.getPartitionsList().stream().anyMatch(v -> v.getNodeIdsCount() == 0
            || !nodeIds.containsAll(v.getNodeIdsList()))) {
      return false; // a standalone node (version 0), or a map of another cluster shape
    }
    synchronized (this) {
      PlacementMap held = map;
      if (held == null || candidate.getVersion() > held.getVersion()) {
        map = candidate;
        if (held == null || held.getVersion() != candidate.getVersion()) {
          LOG.info("placement map version {} (was {})", candidate.getVersion(),
              held == null ? "rendezvous" : held.getVersion());
        }
      }
    }
    return true;
  }
}
