package io.cobalt.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.chaos.History.Op;
import io.cobalt.chaos.History.Outcome;
import io.cobalt.chaos.History.Type;
import io.cobalt.chaos.LinearizabilityChecker.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
  private final LinearizabilityChecker checker = new LinearizabilityChecker(1_000_000, 10_000);
  private final List<Op> ops = new ArrayList<>();

  private void op(int worker, Type type, String expected, String value, long invoke, long complete, Outcome outcome) {
    ops.add(new Op(ops.size(), "register", worker, type, "k", value, expected, invoke, complete, outcome, null));
  }

  private void write(int w, String v, long invoke, long complete, Outcome o) {
    op(w, Type.WRITE, null, v, invoke, complete, o);
  }

  private void read(int w, String v, long invoke, long complete) {
    op(w, Type.READ, null, v, invoke, complete, Outcome.OK);
  }

  private void cas(int w, String expected, String v, long invoke, long complete, Outcome o) {
    op(w, Type.CAS, expected, v, invoke, complete, o);
  }

  private Verdict verdict() {
    return checker.check("k", ops).verdict();
  }

  @Test
  void sequentialHistoryIsLinearizable() {
    read(0, null, 0, 1);
    write(0, "a", 2, 3, Outcome.OK);
    read(0, "a", 4, 5);
    cas(0, "a", "b", 6, 7, Outcome.OK);
    read(0, "b", 8, 9);
    assertEquals(Verdict.LINEARIZABLE, verdict());
  }

  @Test
  void concurrentWritesMayBeSeenInEitherOrderWhileTheyOverlap() {
    write(0, "a", 0, 10, Outcome.OK);
    write(1, "b", 1, 10, Outcome.OK);
    read(2, "b", 2, 3); // b before a
    read(3, "a", 4, 12); // then a
    assertEquals(Verdict.LINEARIZABLE, verdict());
  }

  @Test
  void readConcurrentWithAWriteMaySeeTheOldOrTheNewValue() {
    write(0, "a", 0, 1, Outcome.OK);
    write(0, "b", 2, 10, Outcome.OK);
    read(1, "a", 3, 4);
    read(2, "b", 5, 6);
    assertEquals(Verdict.LINEARIZABLE, verdict());
  }

  @Test
  void staleReadAfterAnAcknowledgedWriteIsNotLinearizable() {
    write(0, "a", 0, 1, Outcome.OK);
    write(0, "b", 2, 3, Outcome.OK);
    read(1, "a", 4, 5);
    LinearizabilityChecker.Result r = checker.check("k", ops);
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
    assertTrue(r.explanation().contains("read"), r.explanation());
  }

  @Test
  void newValueThenOldValueIsNotLinearizable() {
    write(0, "a", 0, 1, Outcome.OK);
    write(0, "b", 2, 20, Outcome.OK);
    read(1, "b", 3, 4);
    read(2, "a", 5, 6); // after a read saw b, no read may see a again
    assertEquals(Verdict.NOT_LINEARIZABLE, verdict());
  }

  @Test
  void twoSuccessfulCasFromTheSameExpectedValueAreNotLinearizable() {
    write(0, "a", 0, 1, Outcome.OK);
    cas(1, "a", "b", 2, 10, Outcome.OK);
    cas(2, "a", "c", 3, 11, Outcome.OK);
    assertEquals(Verdict.NOT_LINEARIZABLE, verdict());
  }

  @Test
  void chainedConcurrentCasIsLinearizable() {
    write(0, "a", 0, 1, Outcome.OK);
    cas(1, "b", "c", 2, 10, Outcome.OK); // invoked first, but must take effect second
    cas(2, "a", "b", 3, 11, Outcome.OK);
    read(0, "c", 12, 13);
    assertEquals(Verdict.LINEARIZABLE, verdict());
  }

  @Test
  void failedCasDidNotHappen() {
    write(0, "a", 0, 1, Outcome.OK);
    cas(1, "a", "b", 2, 3, Outcome.FAIL);
    read(0, "b", 4, 5);
    assertEquals(Verdict.NOT_LINEARIZABLE, verdict());
  }

  @Test
  void lostWriteIsNotLinearizable() {
    write(0, "a", 0, 1, Outcome.OK);
    write(0, "b", 2, 3, Outcome.OK);
    read(1, "b", 4, 5);
    read(1, null, 6, 7); // the register forgot everything
    assertEquals(Verdict.NOT_LINEARIZABLE, verdict());
  }

  @Test
  void indeterminateWriteThatHappenedLate() {
    write(0, "a", 0, 1, Outcome.OK);
    write(1, "b", 2, 3, Outcome.INFO); // timed out
    read(0, "a", 4, 5);
    read(0, "b", 6, 7); // it took effect after its client gave up
    assertEquals(Verdict.LINEARIZABLE, verdict());
  }

  @Test
  void indeterminateWriteThatNeverHappened() {
    write(0, "a", 0, 1, Outcome.OK);
    write(1, "b", 2, 3, Outcome.INFO);
    read(0, "a", 4, 5);
    read(0, "a", 100, 101);
    assertEquals(Verdict.LINEARIZABLE, verdict());
  }

  @Test
  void indeterminateWriteCannotTakeEffectBeforeItWasInvoked() {
    write(0, "a", 0, 1, Outcome.OK);
    read(0, "b", 2, 3);
    write(1, "b", 4, 5, Outcome.INFO);
    assertEquals(Verdict.NOT_LINEARIZABLE, verdict());
  }

  @Test
  void indeterminateCasTakesEffectOnlyFromItsExpectedValue() {
    write(0, "a", 0, 1, Outcome.OK);
    cas(1, "x", "b", 2, 3, Outcome.INFO); // the register never held x
    read(0, "b", 4, 5);
    assertEquals(Verdict.NOT_LINEARIZABLE, verdict());
    ops.clear();
    write(0, "a", 0, 1, Outcome.OK);
    cas(1, "a", "b", 2, 3, Outcome.INFO);
    read(0, "b", 4, 5);
    assertEquals(Verdict.LINEARIZABLE, verdict());
  }

  @Test
  void indeterminateReadsSayNothing() {
    write(0, "a", 0, 1, Outcome.OK);
    op(1, Type.READ, null, null, 2, 3, Outcome.INFO);
    assertEquals(Verdict.LINEARIZABLE, verdict());
  }

  @Test
  void exceedingTheBudgetIsUnknownNotPassed() {
    // 8 concurrent indeterminate writes, each value read once by concurrent reads, then a read of a
    // value nobody wrote: the search must try the orders of writes and reads before it can say no,
    // far more than 500 configurations.
    for (int i = 0; i < 8; i++) {
      write(i, "v" + i, 0, 1, Outcome.INFO);
      read(10 + i, "v" + i, 2, 100);
    }
    read(99, "nobody", 200, 201);
    LinearizabilityChecker.Result r = new LinearizabilityChecker(500, 10_000).check("k", ops);
    assertEquals(Verdict.UNKNOWN, r.verdict());
    assertEquals(Verdict.NOT_LINEARIZABLE, verdict());
  }

  @Test
  void keysAreCheckedSeparately() {
    ops.add(new Op(0, "register", 0, Type.WRITE, "x", "a", null, 0, 1, Outcome.OK, null));
    ops.add(new Op(1, "register", 0, Type.WRITE, "y", "b", null, 2, 3, Outcome.OK, null));
    ops.add(new Op(2, "register", 0, Type.READ, "x", "a", null, 4, 5, Outcome.OK, null));
    ops.add(new Op(3, "register", 0, Type.READ, "y", "a", null, 4, 5, Outcome.OK, null));
    Map<String, LinearizabilityChecker.Result> all = checker.checkAll(ops);
    assertEquals(Verdict.LINEARIZABLE, all.get("x").verdict());
    assertEquals(Verdict.NOT_LINEARIZABLE, all.get("y").verdict());
  }

  /**
   * Histories generated from a real sequential execution: each operation takes effect at a point
   * inside its interval, reads return the register's value there, CASes succeed only from the value
   * there (a CAS that would not is recorded as fail), and some writes and CASes end up indeterminate
   * (taken effect or not). Such a history is always linearizable; with one read changed to a value
   * never written, or to a value first written after the read completed, it never is.
   */
  @Test
  void generatedHistoriesFromSequentialExecutionsAndTheirMutations() {
    Random random = new Random(42);
    for (int round = 0; round < 300; round++) {
      ops.clear();
      int workers = 2 + random.nextInt(4);
      int count = 10 + random.nextInt(150);
      String value = null;
      long t = 0;
      int written = 0;
      List<Integer> reads = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        t += 1 + random.nextInt(10);
        long invoke = Math.max(0, t - random.nextInt(40));
        long complete = t + random.nextInt(40);
        int worker = random.nextInt(workers);
        int kind = random.nextInt(10);
        boolean info = random.nextInt(12) == 0;
        if (kind < 4) {
          read(worker, value, invoke, complete);
          reads.add(ops.size() - 1);
        } else if (kind < 7) {
          String v = "w" + written++;
          if (info && random.nextBoolean()) {
            write(worker, v, invoke, complete, Outcome.INFO); // lost in transit: never took effect
          } else {
            write(worker, v, invoke, complete, info ? Outcome.INFO : Outcome.OK);
            value = v;
          }
        } else {
          String expected = random.nextInt(4) == 0 ? "w" + random.nextInt(written + 1) : value;
          String v = "w" + written++;
          if (Objects.equals(expected, value) && !(info && random.nextBoolean())) {
            cas(worker, expected, v, invoke, complete, info ? Outcome.INFO : Outcome.OK);
            value = v;
          } else {
            cas(worker, expected, v, invoke, complete, info ? Outcome.INFO : Outcome.FAIL);
          }
        }
      }
      assertEquals(Verdict.LINEARIZABLE, verdict(), "round " + round + ": " + ops);
      if (reads.isEmpty()) {
        continue;
      }
      int victim = reads.get(random.nextInt(reads.size()));
      Op r = ops.get(victim);
      ops.set(victim, new Op(r.index(), r.workload(), r.worker(), r.type(), r.key(), "never-written", null,
          r.invokeNanos(), r.completeNanos(), Outcome.OK, null));
      assertEquals(Verdict.NOT_LINEARIZABLE, verdict(), "round " + round + " with a read of a value never written");
      // A read of a value that was first written after the read completed.
      for (Op later : List.copyOf(ops)) {
        if ((later.type() == Type.WRITE || later.type() == Type.CAS) && later.invokeNanos() > r.completeNanos()) {
          ops.set(victim, new Op(r.index(), r.workload(), r.worker(), r.type(), r.key(), later.value(), null,
              r.invokeNanos(), r.completeNanos(), Outcome.OK, null));
          assertEquals(Verdict.NOT_LINEARIZABLE, verdict(), "round " + round + " with a read from the future");
          break;
        }
      }
    }
  }

  /** Small random histories (values from a tiny set, so many interleavings matter) against a brute-force search. */
  @Test
  void agreesWithBruteForceOnSmallRandomHistories() {
    Random random = new Random(7);
    String[] values = {null, "a", "b"};
    int linearizable = 0;
    for (int round = 0; round < 3000; round++) {
      ops.clear();
      int count = 1 + random.nextInt(6);
      for (int i = 0; i < count; i++) {
        long invoke = random.nextInt(20);
        long complete = invoke + random.nextInt(10);
        Outcome o = random.nextInt(5) == 0 ? Outcome.INFO : Outcome.OK;
        String v = values[1 + random.nextInt(2)];
        switch (random.nextInt(3)) {
          case 0 -> read(random.nextInt(3), values[random.nextInt(3)], invoke, complete);
          case 1 -> write(random.nextInt(3), v, invoke, complete, o);
          default -> cas(random.nextInt(3), values[random.nextInt(3)], v, invoke, complete, o);
        }
      }
      boolean expected = BruteForce.linearizable(ops);
      linearizable += expected ? 1 : 0;
      assertEquals(expected ? Verdict.LINEARIZABLE : Verdict.NOT_LINEARIZABLE, verdict(), "round " + round + ": " + ops);
    }
    assertTrue(linearizable > 300 && linearizable < 2700, "both verdicts exercised: " + linearizable);
  }

  /** Every subset of the indeterminate operations, every order of them and the acknowledged ones. */
  private static final class BruteForce {
    static boolean linearizable(List<Op> ops) {
      List<Op> ok = ops.stream().filter(o -> o.outcome() == Outcome.OK).toList();
      List<Op> info = ops.stream().filter(o -> o.outcome() == Outcome.INFO && o.type() != Type.READ).toList();
      for (int mask = 0; mask < 1 << info.size(); mask++) {
        List<Op> chosen = new ArrayList<>(ok);
        for (int i = 0; i < info.size(); i++) {
          if ((mask & 1 << i) != 0) {
            Op o = info.get(i);
            chosen.add(new Op(o.index(), o.workload(), o.worker(), o.type(), o.key(), o.value(), o.expected(),
                o.invokeNanos(), Long.MAX_VALUE, o.outcome(), null));
          }
        }
        if (permute(chosen, new boolean[chosen.size()], new ArrayList<>())) {
          return true;
        }
      }
      return false;
    }

    private static boolean permute(List<Op> ops, boolean[] used, List<Op> order) {
      if (order.size() == ops.size()) {
        return valid(order);
      }
      for (int i = 0; i < ops.size(); i++) {
        if (!used[i]) {
          used[i] = true;
          order.add(ops.get(i));
          boolean r = permute(ops, used, order);
          order.remove(order.size() - 1);
          used[i] = false;
          if (r) {
            return true;
          }
        }
      }
      return false;
    }

    private static boolean valid(List<Op> order) {
      for (int i = 0; i < order.size(); i++) {
        for (int j = i + 1; j < order.size(); j++) {
          if (order.get(j).completeNanos() < order.get(i).invokeNanos()) {
            return false; // j completed before i was invoked, yet comes after it
          }
        }
      }
      String value = null;
      for (Op o : order) {
        switch (o.type()) {
          case READ -> {
            if (!Objects.equals(value, o.value())) {
              return false;
            }
          }
          case WRITE -> value = o.value();
          case CAS -> {
            if (!Objects.equals(value, o.expected())) {
              return false;
            }
            value = o.value();
          }
          default -> throw new IllegalStateException();
        }
      }
      return true;
    }
  }
}
