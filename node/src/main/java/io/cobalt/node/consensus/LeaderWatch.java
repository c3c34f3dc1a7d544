package io.cobalt.node.consensus;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntPredicate;

/**
 * Remembers, per partition, when this node's replica last knew a leader: sampled every
 * {@value #SAMPLE_MILLIS} ms by one daemon thread ({@code node-<id>-leader-watch}), so the answer
 * does not depend on how Ratis reports a replica between elections (a follower whose pre-vote
 * failed has no leader and no candidate timer). Feeds the minority side's fail-fast in
 * {@link RaftCommandLog}.
 */
final class LeaderWatch implements AutoCloseable {
  static final long SAMPLE_MILLIS = 250;

  private final AtomicLongArray lastLeaderNanos;
  private final IntPredicate hasLeader;
  private final ScheduledExecutorService sampler;

  LeaderWatch(String nodeId, int partitions, IntPredicate hasLeader) {
    this.hasLeader = hasLeader;
    this.lastLeaderNanos = new AtomicLongArray(partitions);
    long now = System.nanoTime();
    for (int p = 0; p < partitions; p++) {
      lastLeaderNanos.set(p, now);
    }
    this.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "node-" + nodeId + "-leader-watch");
      t.setDaemon(true);
      return t;
    });
    sampler.scheduleWithFixedDelay(this::sample, SAMPLE_MILLIS, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void sample() {
    long now = System.nanoTime();
    for (int p = 0; p < lastLeaderNanos.length(); p++) {
      try {
        if (hasLeader.test(p)) {
          lastLeaderNanos.set(p, now);
        }
      } catch (RuntimeException e) {
        lastLeaderNanos.set(p, now); // unknown: never fail fast on a guess
      }
    }
  }

  /** How long {@code partition}'s replica has had no leader, to the sampling period; 0 if it has one. */
  long leaderlessMillis(int partition) {
    if (hasLeader.test(partition)) {
      return 0;
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastLeaderNanos.get(partition));
  }

  @Override
  public void close() {
    sampler.shutdownNow();
  }
}
