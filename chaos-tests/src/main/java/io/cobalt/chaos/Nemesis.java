package io.cobalt.chaos;

import io.cobalt.cli.role.ProcessCluster;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Plays a {@link FaultSchedule} against a {@link ProcessCluster} and records when each fault was
 * in force: from the signal until the node runs again (SIGCONT sent, or the restarted JVM printed
 * its ready line). Starts no fault that would outlast the deadline and always heals the one in progress.
 */
public final class Nemesis {
  /** When a fault was in force, in the history's time (nanoseconds since the run's origin). */
  public record Window(FaultSchedule.Fault fault, long startNanos, long endNanos) {}

  private final ProcessCluster cluster;
  private final History clock;
  private final PrintStream log;
  private final List<Window> windows = new ArrayList<>(); // guarded by this

  public Nemesis(ProcessCluster cluster, History clock, PrintStream log) {
    this.cluster = cluster;
    this.clock = clock;
    this.log = log;
  }

  /**
   * Runs faults until the schedule ends or {@code deadlineNanos} (history time) passes, skipping a
   * fault that would not be healed by then (a kill counts {@code restartEstimateMillis} for the
   * restart), so a run stays bounded.
   */
  public void play(FaultSchedule schedule, long deadlineNanos, long restartEstimateMillis) throws Exception {
    for (FaultSchedule.Fault f : schedule.faults()) {
      if (clock.now() >= deadlineNanos) {
        return;
      }
      long expectedMillis = f.durationMillis() + (f.kind() == FaultSchedule.Kind.KILL ? restartEstimateMillis : 0);
      if (clock.now() + expectedMillis * 1_000_000 > deadlineNanos) {
        log.printf("nemesis: skipping %s: it would not be healed by the deadline%n", f);
        continue;
      }
      long start = clock.now();
      switch (f.kind()) {
        case KILL -> {
          cluster.kill(f.node());
          Thread.sleep(f.durationMillis());
          cluster.restart(f.node());
        }
        case PAUSE_SHORT, PAUSE_LONG -> {
          cluster.pause(f.node());
          try {
            Thread.sleep(f.durationMillis());
          } finally {
            cluster.resume(f.node());
          }
        }
      }
      long end = clock.now();
      synchronized (this) {
        windows.add(new Window(f, start, end));
      }
      log.printf("nemesis: %s %s: in force %d ms (t=%.1f s..%.1f s)%n", f.kind(), f.node(), (end - start) / 1_000_000,
          start / 1e9, end / 1e9);
      Thread.sleep(f.gapAfterMillis());
    }
  }

  public synchronized List<Window> windows() {
    return List.copyOf(windows);
  }
}
