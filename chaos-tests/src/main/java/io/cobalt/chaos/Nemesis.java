package io.cobalt.chaos;

import io.cobalt.cli.role.ProcessCluster;
import io.cobalt.node.NodeServer;
import io.cobalt.node.storage.rocksdb.ChunkStoreFaults;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Plays a {@link FaultSchedule} against a {@link ProcessCluster} and records when each fault was
 * in force: from the first signal or rule until the cluster is whole again (SIGCONT sent, the
 * partition rules removed, or the restarted JVM printed its ready line). Starts no fault that would
 * outlast the deadline and always heals the one in progress, also when playing it fails.
 */
public final class Nemesis {
  /**
   * When a fault was in force, in the history's time (nanoseconds since the run's origin).
   * {@code effectiveNanos}: when it took hold (a key's versions disabled, the kms-agent stopped);
   * {@code liftNanos}: when healing began (the enable sent, the agent restarted). For other kinds
   * they are the start and the end.
   */
  public record Window(FaultSchedule.Fault fault, long startNanos, long endNanos, long effectiveNanos, long liftNanos) {
    public Window(FaultSchedule.Fault fault, long startNanos, long endNanos) {
      this(fault, startNanos, endNanos, startNanos, endNanos);
    }
  }

  /** One chunk replica a {@link FaultSchedule.Kind#CORRUPT} fault damaged. */
  public record Injection(String node, String chunkId, ChunkStoreFaults.Mode mode, long atNanos) {}

  /**
   * What a {@link FaultSchedule.Kind#REMOVE_NODE} measured: from the SIGKILL to every partition
   * having its full set of live voters again (null: not within the bound), the placement map version
   * then, and, after the node came back, from its restart to the chunk replicas being complete again
   * (an anti-entropy pass on every node finding none missing, no repair waiting; null: not within the
   * bound).
   */
  public record RfRestore(String node, long killAtMillis, Long partitionsRestoredMillis, long placementVersionBefore,
      long placementVersionAfter, List<Integer> underReplicatedAtBound, Long chunksRestoredAfterReturnMillis) {}

  /**
   * What an {@link FaultSchedule.Kind#ADD_NODE} measured: the new node, when it was started (history
   * time, ms), how long until its ready line, and from its start until the newest placement map first
   * named it a voter of some partition (null: not within the bound, a finding), with that map's
   * version and partitions.
   */
  public record NodeJoin(String node, long startedAtMillis, long readyMillis, Long firstVoterMillis,
      long placementVersionBefore, long placementVersionAtFirstVoter, List<Integer> partitionsAtFirstVoter) {}

  /**
   * What the extra faults need: the status probe, the key service's admin client, the partition
   * count and replication factor, and the longest wait for chunk replicas after a removed node returns.
   */
  public record Extras(ClusterProbe probe, KeyNemesis keys, int partitions, int replicationFactor,
      long chunkRestoreBoundMillis, long antiEntropyIntervalMillis) {}

  private final ProcessCluster cluster;
  private final History clock;
  private final PrintStream log;
  private final Extras extras;
  private final List<Window> windows = new ArrayList<>(); // guarded by this
  private final List<Injection> injections = new ArrayList<>(); // guarded by this
  private final List<CorruptionTally.Injected> corruptions = new ArrayList<>(); // guarded by this
  private final List<RfRestore> restores = new ArrayList<>(); // guarded by this
  private final List<NodeJoin> joins = new ArrayList<>(); // guarded by this

  public Nemesis(ProcessCluster cluster, History clock, PrintStream log) {
    this(cluster, clock, log, null);
  }

  public Nemesis(ProcessCluster cluster, History clock, PrintStream log, Extras extras) {
    this.cluster = cluster;
    this.clock = clock;
    this.log = log;
    this.extras = extras;
  }

  /**
   * Runs faults until the schedule ends or {@code deadlineNanos} (history time) passes, skipping a
   * fault that would not be healed by then (each node restart counts {@code restartEstimateMillis}),
   * so a run stays bounded.
   */
  public void play(FaultSchedule schedule, long deadlineNanos, long restartEstimateMillis) throws Exception {
    play(schedule, deadlineNanos, restartEstimateMillis, 0);
  }

  /**
   * As {@link #play(FaultSchedule, long, long)}, but while the faults played so far have been in
   * force for less than {@code minInForceMillis} in total, the deadline does not stop or skip
   * anything: the phase runs on until the minimum is reached (or the schedule ends; a schedule
   * whose {@link FaultSchedule#heldMillis()} is at least the minimum always gets there).
   */
  public void play(FaultSchedule schedule, long deadlineNanos, long restartEstimateMillis, long minInForceMillis)
      throws Exception {
    long inForceMillis = 0;
    for (FaultSchedule.Fault f : schedule.faults()) {
      long now = clock.now();
      if (now >= deadlineNanos && inForceMillis >= minInForceMillis) {
        return;
      }
      if (!mayStart(now, deadlineNanos, f.expectedMillis(restartEstimateMillis), inForceMillis, minInForceMillis)) {
        log.printf("nemesis: skipping %s: it would not be healed by the deadline%n", f);
        continue;
      }
      Window w = inject(f);
      inForceMillis += (w.endNanos() - w.startNanos()) / 1_000_000;
      Thread.sleep(f.gapAfterMillis());
    }
    if (inForceMillis < minInForceMillis) {
      log.printf("nemesis: the schedule ended after %d ms of faults, short of the %d ms asked%n", inForceMillis,
          minInForceMillis);
    }
  }

  /**
   * Whether a fault expected to be in force for {@code expectedMillis} may start at {@code nowNanos}:
   * always while the faults so far have been in force for less than {@code minInForceMillis},
   * otherwise only if it would be healed by {@code deadlineNanos}.
   */
  static boolean mayStart(long nowNanos, long deadlineNanos, long expectedMillis, long inForceMillis,
      long minInForceMillis) {
    return inForceMillis < minInForceMillis || nowNanos + expectedMillis * 1_000_000 <= deadlineNanos;
  }

  /** Plays one fault now, heals it, and records its window (also when playing it failed); returns the window. */
  public Window inject(FaultSchedule.Fault f) throws Exception {
    long start = clock.now();
    long[] marks = {start, -1}; // effective, lift
    try {
      switch (f.kind()) {
        case KILL -> {
          sampleBeforeStop();
          cluster.kill(f.node());
          try {
            Thread.sleep(f.durationMillis());
          } finally {
            cluster.restart(f.node());
          }
        }
        case PAUSE_SHORT, PAUSE_LONG -> {
          cluster.pause(f.node());
          try {
            Thread.sleep(f.durationMillis());
          } finally {
            cluster.resume(f.node());
          }
        }
        case PARTITION_ISOLATE, PARTITION_MAJORITY, PARTITION_OUTBOUND, PARTITION_INBOUND, PARTITION_BRIDGE -> {
          cluster.network(); // fails here, loudly, on a machine that cannot partition
          try {
            for (FaultSchedule.Link link : f.cut()) {
              cluster.blockTraffic(link.from(), link.to());
            }
            log.printf("nemesis: %s: %d iptables rules in chain %s%n", f, cluster.network().rules().size(),
                cluster.network().chain());
            Thread.sleep(f.durationMillis());
          } finally {
            cluster.healNetwork();
          }
        }
        case CORRUPT -> corrupt(f);
        case REMOVE_NODE -> removeNode(f, marks);
        case ADD_NODE -> addNode(f);
        case KEY_ROTATE -> {
          int v = extras().keys().rotate();
          marks[0] = clock.now();
          log.printf("nemesis: KEY_ROTATE: %s now at version %d%n", extras().keys().keyId(), v);
          Thread.sleep(f.durationMillis());
        }
        case KEY_REVOKE -> {
          List<Integer> disabled = new ArrayList<>();
          try {
            extras().keys().revoke(disabled);
            marks[0] = clock.now();
            log.printf("nemesis: KEY_REVOKE: disabled %s versions %s%n", extras().keys().keyId(), disabled);
            Thread.sleep(f.durationMillis());
          } finally {
            marks[1] = clock.now();
            extras().keys().restore(disabled);
          }
        }
        case KMS_DOWN -> {
          cluster.kill(FaultSchedule.KMS);
          marks[0] = clock.now();
          try {
            Thread.sleep(f.durationMillis());
          } finally {
            marks[1] = clock.now();
            cluster.restart(FaultSchedule.KMS);
          }
        }
        case KMS_PAUSE -> {
          cluster.pause(FaultSchedule.KMS);
          marks[0] = clock.now();
          try {
            Thread.sleep(f.durationMillis());
          } finally {
            marks[1] = clock.now();
            cluster.resume(FaultSchedule.KMS);
          }
        }
        case ROLLING_RESTART -> {
          sampleBeforeStop();
          for (String node : f.nodes()) {
            cluster.stop(node);
            try {
              Thread.sleep(f.durationMillis());
            } finally {
              cluster.restart(node);
            }
            cluster.awaitLeaders(node);
          }
        }
      }
    } finally {
      record(f, start, marks[0], marks[1]);
    }
    return windows().get(windows().size() - 1);
  }

  private Extras extras() {
    if (extras == null) {
      throw new IllegalStateException("this nemesis has no probe or key client for extra faults");
    }
    return extras;
  }

  /** The nodes' healing counters just before one stops (they count per process). */
  private void sampleBeforeStop() {
    if (extras != null) {
      extras.probe().sample(java.time.Duration.ofSeconds(2));
    }
  }

  /**
   * SIGKILL and keep the node down until every partition has a full set of live voters again (its
   * voters replaced elsewhere after {@code placement.replace-after}), at most the fault's duration;
   * then start it again and wait (bounded) for the chunk replicas to be complete again.
   */
  private void removeNode(FaultSchedule.Fault f, long[] marks) throws Exception {
    Extras x = extras();
    java.time.Duration timeout = java.time.Duration.ofSeconds(2);
    long versionBefore = Replication.assess(x.probe().sample(timeout), x.partitions(), x.replicationFactor(), 100, 0)
        .placementVersion();
    long killedAt = clock.now();
    cluster.kill(f.node());
    marks[0] = clock.now();
    Long restored = null;
    Replication.State st = null;
    try {
      long bound = killedAt + f.durationMillis() * 1_000_000;
      while (clock.now() < bound) {
        Thread.sleep(1_000);
        st = Replication.assess(x.probe().sample(timeout), x.partitions(), x.replicationFactor(), 100, 0);
        if (st.partitionsFull()) {
          restored = (clock.now() - killedAt) / 1_000_000;
          break;
        }
      }
      log.printf("nemesis: REMOVE_NODE %s: %s%n", f.node(), restored == null
          ? "partitions not fully replicated within " + f.durationMillis() + " ms: " + (st == null ? "?" : st)
          : "every partition fully replicated again " + restored + " ms after the kill (placement map version "
              + st.placementVersion() + ")");
    } finally {
      marks[1] = clock.now();
      cluster.restart(f.node());
    }
    long back = System.currentTimeMillis();
    long backNanos = clock.now();
    Long chunks = null;
    long chunkBound = backNanos + x.chunkRestoreBoundMillis() * 1_000_000;
    while (clock.now() < chunkBound) {
      Thread.sleep(2_000);
      // A pass must have started after the return: ended more than one interval after it.
      Replication.State c = Replication.assess(x.probe().sample(timeout), x.partitions(), x.replicationFactor(), 100,
          back + x.antiEntropyIntervalMillis());
      if (c.chunksFull()) {
        chunks = (clock.now() - backNanos) / 1_000_000;
        break;
      }
    }
    log.printf("nemesis: REMOVE_NODE %s: chunk replicas %s after its return%n", f.node(),
        chunks == null ? "not complete within " + x.chunkRestoreBoundMillis() + " ms" : "complete " + chunks + " ms");
    synchronized (this) {
      restores.add(new RfRestore(f.node(), killedAt / 1_000_000, restored, versionBefore,
          st == null ? versionBefore : st.placementVersion(),
          restored == null && st != null ? st.underReplicatedPartitions() : List.of(), chunks));
    }
  }

  /**
   * Starts a node beyond the initial configuration, which joins the running cluster, and waits
   * (at most the fault's duration) until the newest placement map any node answers with names it a
   * voter of a partition. The node stays for the rest of the run; a bound that passes is a finding
   * (logged and reported), not a failure of the fault.
   */
  private void addNode(FaultSchedule.Fault f) throws Exception {
    Extras x = extras();
    java.time.Duration timeout = java.time.Duration.ofSeconds(2);
    x.probe().sample(timeout);
    long versionBefore = x.probe().newestPlacement().getVersion();
    long startedAt = clock.now();
    String node = cluster.addNode();
    long ready = (clock.now() - startedAt) / 1_000_000;
    if (!node.equals(f.node())) {
      log.printf("nemesis: ADD_NODE: the schedule named %s, the cluster started %s%n", f.node(), node);
    }
    x.probe().addNode(cluster, node);
    log.printf("nemesis: ADD_NODE %s: ready %d ms after its start; waiting for a partition voter on it%n", node, ready);
    Long firstVoter = null;
    long versionAt = versionBefore;
    List<Integer> partitions = List.of();
    long bound = startedAt + f.durationMillis() * 1_000_000;
    while (clock.now() < bound) {
      x.probe().sample(timeout);
      List<Integer> held = votersOn(x.probe().newestPlacement(), node);
      if (!held.isEmpty()) {
        firstVoter = (clock.now() - startedAt) / 1_000_000;
        versionAt = x.probe().newestPlacement().getVersion();
        partitions = held;
        break;
      }
      Thread.sleep(1_000);
    }
    log.printf("nemesis: ADD_NODE %s: %s%n", node, firstVoter == null
        ? "no partition voter on it within " + f.durationMillis() + " ms (placement map version "
            + x.probe().newestPlacement().getVersion() + ")"
        : "first partition voter(s) " + partitions + " " + firstVoter + " ms after its start (placement map version "
            + versionAt + ")");
    synchronized (this) {
      joins.add(new NodeJoin(node, startedAt / 1_000_000, ready, firstVoter, versionBefore, versionAt, partitions));
    }
  }

  /** The partitions whose voters in {@code map} include {@code node}. */
  static List<Integer> votersOn(io.cobalt.proto.node.v1.PlacementMap map, String node) {
    List<Integer> out = new ArrayList<>();
    for (int p = 0; p < map.getPartitionsCount(); p++) {
      if (map.getPartitions(p).getNodeIdsList().contains(node)) {
        out.add(p);
      }
    }
    return out;
  }

  private void record(FaultSchedule.Fault f, long start, long effective, long lift) {
    long end = clock.now();
    Window w = new Window(f, start, end, effective, lift < 0 ? end : lift);
    synchronized (this) {
      windows.add(w);
    }
    log.printf("nemesis: %s %s: in force %d ms (t=%.1f s..%.1f s)%n", f.kind(), f.node(), (end - start) / 1_000_000,
        start / 1e9, end / 1e9);
  }

  private void corrupt(FaultSchedule.Fault f) throws Exception {
    FaultSchedule.Corruption c = f.corruption();
    long at = clock.now();
    sampleBeforeStop();
    Map<String, Long> offsets = new TreeMap<>();
    for (int i = 1; i <= cluster.nodeCount(); i++) {
      String n = ProcessCluster.nodeName(i);
      Path log = cluster.dir().resolve("logs/" + n + ".log");
      offsets.put(n, Files.exists(log) ? Files.size(log) : 0L);
    }
    if (c.cleanStop()) {
      cluster.stop(f.node());
    } else {
      cluster.kill(f.node());
    }
    try {
      Set<String> already = new HashSet<>();
      synchronized (this) {
        injections.forEach(i -> already.add(i.chunkId()));
      }
      // A chunk damaged on two replicas could be unreadable: that tests nothing but bad luck.
      List<String> ids = ChunkStoreFaults.corrupt(NodeServer.rocksDbDir(cluster.dataDir(f.node())), c.chunks(),
          c.seed(), c.mode(), already);
      synchronized (this) {
        for (String id : ids) {
          injections.add(new Injection(f.node(), id, c.mode(), at));
        }
        corruptions.add(new CorruptionTally.Injected(f.node(), List.copyOf(ids), offsets));
      }
      log.printf("nemesis: %s: damaged %d chunks on %s: %s%n", f.kind(), ids.size(), f.node(), ids);
      Thread.sleep(f.durationMillis());
    } finally {
      cluster.restart(f.node());
    }
  }

  public synchronized List<Window> windows() {
    return List.copyOf(windows);
  }

  /** Every chunk replica damaged so far, in order. */
  public synchronized List<Injection> injections() {
    return List.copyOf(injections);
  }

  /** Every {@code CORRUPT} fault's damaged replicas, with the nodes' log offsets just before it. */
  public synchronized List<CorruptionTally.Injected> corruptions() {
    return List.copyOf(corruptions);
  }

  /** What each {@code ADD_NODE} measured. */
  public synchronized List<NodeJoin> joins() {
    return List.copyOf(joins);
  }

  /** What each {@code REMOVE_NODE} measured. */
  public synchronized List<RfRestore> restores() {
    return List.copyOf(restores);
  }

  /** The distinct chunk ids damaged so far (hex). */
  public synchronized Set<String> injectedChunkIds() {
    Set<String> ids = new LinkedHashSet<>();
    injections.forEach(i -> ids.add(i.chunkId()));
    return ids;
  }
}
