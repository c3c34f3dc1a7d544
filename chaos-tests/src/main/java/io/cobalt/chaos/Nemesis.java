package io.cobalt.chaos;

import io.cobalt.cli.role.ProcessCluster;
import io.cobalt.node.NodeServer;
import io.cobalt.node.storage.rocksdb.ChunkStoreFaults;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Plays a {@link FaultSchedule} against a {@link ProcessCluster} and records when each fault was
 * in force: from the first signal or rule until the cluster is whole again (SIGCONT sent, the
 * partition rules removed, or the restarted JVM printed its ready line). Starts no fault that would
 * outlast the deadline and always heals the one in progress, also when playing it fails.
 */
public final class Nemesis {
  /** When a fault was in force, in the history's time (nanoseconds since the run's origin). */
  public record Window(FaultSchedule.Fault fault, long startNanos, long endNanos) {}

  /** One chunk replica a {@link FaultSchedule.Kind#CORRUPT} fault damaged. */
  public record Injection(String node, String chunkId, ChunkStoreFaults.Mode mode, long atNanos) {}

  private final ProcessCluster cluster;
  private final History clock;
  private final PrintStream log;
  private final List<Window> windows = new ArrayList<>(); // guarded by this
  private final List<Injection> injections = new ArrayList<>(); // guarded by this

  public Nemesis(ProcessCluster cluster, History clock, PrintStream log) {
    this.cluster = cluster;
    this.clock = clock;
    this.log = log;
  }

  /**
   * Runs faults until the schedule ends or {@code deadlineNanos} (history time) passes, skipping a
   * fault that would not be healed by then (each node restart counts {@code restartEstimateMillis}),
   * so a run stays bounded.
   */
  public void play(FaultSchedule schedule, long deadlineNanos, long restartEstimateMillis) throws Exception {
    for (FaultSchedule.Fault f : schedule.faults()) {
      if (clock.now() >= deadlineNanos) {
        return;
      }
      long expectedMillis = f.expectedMillis(restartEstimateMillis);
      if (clock.now() + expectedMillis * 1_000_000 > deadlineNanos) {
        log.printf("nemesis: skipping %s: it would not be healed by the deadline%n", f);
        continue;
      }
      inject(f);
      Thread.sleep(f.gapAfterMillis());
    }
  }

  /** Plays one fault now, heals it, and records its window (also when playing it failed); returns the window. */
  public Window inject(FaultSchedule.Fault f) throws Exception {
    long start = clock.now();
    try {
      switch (f.kind()) {
        case KILL -> {
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
        case ROLLING_RESTART -> {
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
      record(f, start);
    }
    return windows().get(windows().size() - 1);
  }

  private void record(FaultSchedule.Fault f, long start) {
    long end = clock.now();
    Window w = new Window(f, start, end);
    synchronized (this) {
      windows.add(w);
    }
    log.printf("nemesis: %s %s: in force %d ms (t=%.1f s..%.1f s)%n", f.kind(), f.node(), (end - start) / 1_000_000,
        start / 1e9, end / 1e9);
  }

  private void corrupt(FaultSchedule.Fault f) throws Exception {
    FaultSchedule.Corruption c = f.corruption();
    long at = clock.now();
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

  /** The distinct chunk ids damaged so far (hex). */
  public synchronized Set<String> injectedChunkIds() {
    Set<String> ids = new LinkedHashSet<>();
    injections.forEach(i -> ids.add(i.chunkId()));
    return ids;
  }
}
