package io.cobalt.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded sequence of faults against node processes, played one after the other with a pause in
 * between. The same seed gives the same sequence (kinds, targets, durations, gaps); wall-clock
 * times differ run to run because a restarted JVM takes as long as it takes.
 *
 * <p>Pauses are drawn on both sides of the Raft election timeout (1–2 s): short ones (0.3–0.9 s)
 * that no follower should notice, long ones (3–6 s) that depose a paused leader.
 */
public record FaultSchedule(long seed, List<Fault> faults) {

  public enum Kind {
    /** SIGKILL, stay down for the duration, then start again on the same data. */
    KILL,
    /** SIGSTOP shorter than the election timeout, then SIGCONT. */
    PAUSE_SHORT,
    /** SIGSTOP longer than the election timeout, then SIGCONT. */
    PAUSE_LONG
  }

  /** One fault: what, against which node, for how long, and how long to wait after healing it. */
  public record Fault(Kind kind, String node, long durationMillis, long gapAfterMillis) {
    @Override
    public String toString() {
      return kind + " " + node + " for " + durationMillis + " ms, then " + gapAfterMillis + " ms healthy";
    }
  }

  /**
   * Enough faults to fill {@code plannedFaultMillis} of fault time, counting a kill's restart as
   * {@code restartEstimateMillis} more.
   */
  public static FaultSchedule generate(long seed, List<String> nodes, long plannedFaultMillis, long restartEstimateMillis) {
    Random r = new Random(seed);
    List<Fault> faults = new ArrayList<>();
    long planned = 0;
    while (planned < plannedFaultMillis) {
      int roll = r.nextInt(10); // 3 in 10 kills, 4 long pauses, 3 short pauses
      Kind kind = roll < 3 ? Kind.KILL : roll < 7 ? Kind.PAUSE_LONG : Kind.PAUSE_SHORT;
      String node = nodes.get(r.nextInt(nodes.size()));
      long duration = switch (kind) {
        case KILL -> 2_000 + r.nextInt(4_000);
        case PAUSE_SHORT -> 300 + r.nextInt(600);
        case PAUSE_LONG -> 3_000 + r.nextInt(3_000);
      };
      long gap = 1_000 + r.nextInt(1_000);
      faults.add(new Fault(kind, node, duration, gap));
      planned += duration + (kind == Kind.KILL ? restartEstimateMillis : 0);
    }
    return new FaultSchedule(seed, List.copyOf(faults));
  }
}
