package io.cobalt.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * Every operation of a run, Jepsen-style: invoked, then completed as {@code ok} (it happened),
 * {@code fail} (it certainly did not) or {@code info} (unknown: it may have happened). Times are
 * nanoseconds since the run's origin.
 */
public final class History {
  public enum Type { WRITE, READ }

  public enum Outcome { OK, FAIL, INFO }

  /** One operation: both its invocation and its completion. */
  public record Op(long index, int worker, Type type, String key, long invokeNanos, long completeNanos,
      Outcome outcome, String error) {
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

  public synchronized Op record(int worker, Type type, String key, long invokeNanos, Outcome outcome, String error) {
    Op op = new Op(ops.size(), worker, type, key, invokeNanos, now(), outcome, error);
    ops.add(op);
    return op;
  }

  public synchronized List<Op> ops() {
    return List.copyOf(ops);
  }
}
