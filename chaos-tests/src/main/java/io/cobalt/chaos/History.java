package io.cobalt.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * Every operation of a run, Jepsen-style: invoked, then completed as {@code ok} (it happened),
 * {@code fail} (it certainly did not) or {@code info} (unknown: it may have happened). Times are
 * nanoseconds since the run's origin. All workloads of a run share one history (and one clock, the
 * nemesis's), each op tagged with its workload.
 */
public final class History {
  /**
   * What an operation did. Set-full uses WRITE and READ; registers WRITE (blind), READ and CAS;
   * the queue ENQUEUE, DEQUEUE (receive) and DELETE; the table batch workload WRITE (one per
   * transaction).
   */
  public enum Type { WRITE, READ, CAS, ENQUEUE, DEQUEUE, DELETE }

  public enum Outcome { OK, FAIL, INFO }

  /**
   * One operation: both its invocation and its completion. {@code value} is what a write or CAS
   * wrote, or what a read returned (null: absent); {@code expected} is the value a CAS required.
   */
  public record Op(long index, String workload, int worker, Type type, String key, String value, String expected,
      long invokeNanos, long completeNanos, Outcome outcome, String error) {
    public long latencyNanos() {
      return completeNanos - invokeNanos;
    }
  }

  private final long originNanos;
  private final List<Op> ops = new ArrayList<>(); // guarded by this

  public History(long originNanos) {
    this.originNanos = originNanos;
  }

  public long now() {
    return System.nanoTime() - originNanos;
  }

  public long originNanos() {
    return originNanos;
  }

  /** A set-full operation (workload {@code set}). */
  public Op record(int worker, Type type, String key, long invokeNanos, Outcome outcome, String error) {
    return record("set", worker, type, key, null, null, invokeNanos, outcome, error);
  }

  public synchronized Op record(String workload, int worker, Type type, String key, String value, String expected,
      long invokeNanos, Outcome outcome, String error) {
    Op op = new Op(ops.size(), workload, worker, type, key, value, expected, invokeNanos, now(), outcome, error);
    ops.add(op);
    return op;
  }

  public synchronized List<Op> ops() {
    return List.copyOf(ops);
  }
}
