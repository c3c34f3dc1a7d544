package io.cobalt.chaos;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a register history for linearizability, one key at a time (a register per key composes:
 * the history is linearizable iff each key's is), by the Wing–Gong search with Lowe's memoization,
 * as Knossos does: try to order the operations into a sequential execution of a register that
 * respects real time (an operation that completed before another was invoked comes first), remembering
 * every (set of linearized operations, register value) already explored so no configuration is
 * searched twice.
 *
 * <p>Model: a register holding a string or nothing (null, the initial state); {@code READ} returns
 * the value, {@code WRITE} sets it, {@code CAS(expected, new)} sets it only if it holds
 * {@code expected}. Outcomes: {@code ok} operations must be in the order; {@code fail} ones certainly
 * did not happen and are dropped; {@code info} writes and CASes may take effect at any point after
 * their invocation, or never (their completion is taken as infinitely late); {@code info} reads say
 * nothing and are dropped.
 *
 * <p>The search is exponential in the worst case, so each key has a budget (explored configurations
 * and wall time); a key that exceeds it is {@link Verdict#UNKNOWN}, never passed.
 */
public final class LinearizabilityChecker {
  public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

  /** The verdict for one key, with how much was searched and, if not linearizable, why. */
  public record Result(String key, Verdict verdict, int operations, long configurations, String explanation) {}

  private final long maxConfigurations;
  private final long maxNanosPerKey;

  public LinearizabilityChecker(long maxConfigurations, long maxMillisPerKey) {
    this.maxConfigurations = maxConfigurations;
    this.maxNanosPerKey = maxMillisPerKey * 1_000_000;
  }

  /** The default budget: 1 million configurations or 20 s per key. */
  public static LinearizabilityChecker withDefaultBudget() {
    return new LinearizabilityChecker(1_000_000, 20_000);
  }

  /** Every key's verdict, keys in order. Ops of other types than READ, WRITE and CAS are ignored. */
  public Map<String, Result> checkAll(List<History.Op> ops) {
    Map<String, List<History.Op>> byKey = new TreeMap<>();
    for (History.Op op : ops) {
      if (op.type() == History.Type.READ || op.type() == History.Type.WRITE || op.type() == History.Type.CAS) {
        byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
      }
    }
    Map<String, Result> out = new LinkedHashMap<>();
    byKey.forEach((k, v) -> out.put(k, check(k, v)));
    return out;
  }

  /** One entry of the search: an operation that may (or, if {@code ok}, must) be linearized. */
  private record Entry(History.Op op, long invoke, long complete, boolean required) {}

  /**
   * A configuration already explored: the linearized set and the register's value. The set is kept
   * compact: the number of leading all-ones words (entries are sorted by invocation, so the linearized
   * set is mostly a prefix) and the words after them up to the last non-zero one.
   */
  private record Config(int fullWords, long[] tail, String value) {
    static Config of(long[] words, String value) {
      int from = 0;
      while (from < words.length && words[from] == -1L) {
        from++;
      }
      int to = words.length;
      while (to > from && words[to - 1] == 0) {
        to--;
      }
      return new Config(from, Arrays.copyOfRange(words, from, to), value);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c && fullWords == c.fullWords && Arrays.equals(tail, c.tail)
          && Objects.equals(value, c.value);
    }

    @Override
    public int hashCode() {
      return (31 * fullWords + Arrays.hashCode(tail)) * 31 + Objects.hashCode(value);
    }
  }

  /** One level of the depth-first search: the candidates at this configuration and how far we are through them. */
  private static final class Frame {
    final int[] candidates;
    int cursor;
    final int applied; // the entry linearized to get here, -1 at the root
    final String valueBefore;

    Frame(int[] candidates, int applied, String valueBefore) {
      this.candidates = candidates;
      this.applied = applied;
      this.valueBefore = valueBefore;
    }
  }

  /**
   * One key's verdict. Before searching, indeterminate writes and CASes whose value no read returned
   * and no CAS expected are dropped: if a linearization takes one, the register holds a value no later
   * operation accepts until the next write or CAS replaces it, so the same order without it is valid too.
   */
  public Result check(String key, List<History.Op> ops) {
    Set<String> observed = new HashSet<>();
    for (History.Op op : ops) {
      if (op.type() == History.Type.READ && op.outcome() == History.Outcome.OK) {
        observed.add(op.value());
      } else if (op.type() == History.Type.CAS && op.outcome() != History.Outcome.FAIL) {
        observed.add(op.expected());
      }
    }
    List<Entry> list = new ArrayList<>();
    for (History.Op op : ops) {
      if (op.outcome() == History.Outcome.FAIL) {
        continue;
      }
      if (op.type() == History.Type.READ && op.outcome() != History.Outcome.OK) {
        continue;
      }
      if (op.outcome() == History.Outcome.INFO && !observed.contains(op.value())) {
        continue; // see below: an indeterminate write nobody observed can be taken as never happened
      }
      boolean ok = op.outcome() == History.Outcome.OK;
      list.add(new Entry(op, op.invokeNanos(), ok ? op.completeNanos() : Long.MAX_VALUE, ok));
    }
    list.sort(Comparator.comparingLong(Entry::invoke));
    Entry[] entries = list.toArray(new Entry[0]);
    int n = entries.length;
    int required = (int) list.stream().filter(Entry::required).count();
    long deadline = System.nanoTime() + maxNanosPerKey;

    long[] linearized = new long[(n + 63) / 64];
    String value = null;
    int requiredDone = 0;
    int deepest = 0;
    String deepestValue = null;
    long[] deepestSet = linearized.clone();
    Set<Config> seen = new HashSet<>();
    Deque<Frame> stack = new ArrayDeque<>();
    stack.push(new Frame(candidates(entries, linearized, null), -1, null));
    long configurations = 1;
    while (!stack.isEmpty()) {
      if (requiredDone == required) {
        return new Result(key, Verdict.LINEARIZABLE, n, configurations, null);
      }
      if (configurations > maxConfigurations || ((configurations & 1023) == 0 && System.nanoTime() > deadline)) {
        return new Result(key, Verdict.UNKNOWN, n, configurations,
            "search budget exceeded (" + maxConfigurations + " configurations or " + maxNanosPerKey / 1_000_000 + " ms)");
      }
      Frame f = stack.peek();
      if (f.cursor == f.candidates.length) {
        stack.pop();
        if (f.applied >= 0) {
          clear(linearized, f.applied);
          if (entries[f.applied].required()) {
            requiredDone--;
          }
          value = f.valueBefore;
        }
        continue;
      }
      int c = f.candidates[f.cursor++];
      History.Op op = entries[c].op();
      String next;
      switch (op.type()) {
        case READ -> {
          if (!Objects.equals(value, op.value())) {
            continue;
          }
          next = value;
        }
        case WRITE -> next = op.value();
        case CAS -> {
          if (!Objects.equals(value, op.expected())) {
            continue;
          }
          next = op.value();
        }
        default -> throw new IllegalArgumentException("not a register operation: " + op);
      }
      set(linearized, c);
      if (!seen.add(Config.of(linearized, next))) {
        clear(linearized, c);
        continue;
      }
      configurations++;
      stack.push(new Frame(candidates(entries, linearized, next), c, value));
      value = next;
      if (entries[c].required()) {
        requiredDone++;
      }
      if (requiredDone > deepest) {
        deepest = requiredDone;
        deepestValue = value;
        deepestSet = linearized.clone();
      }
    }
    return new Result(key, Verdict.NOT_LINEARIZABLE, n, configurations,
        explain(entries, deepest, required, deepestSet, deepestValue));
  }

  /**
   * The entries that may come next: not yet linearized, and invoked no later than the earliest
   * completion of any required entry not yet linearized (that one must precede anything invoked after
   * it completed). A read that is valid now is linearized greedily on its own: a read does not change
   * the value, so taking it now can only leave more orders open.
   */
  private static int[] candidates(Entry[] entries, long[] linearized, String value) {
    long minComplete = Long.MAX_VALUE;
    int first = 0;
    while (first < linearized.length && linearized[first] == -1L) {
      first++;
    }
    first *= 64;
    for (int i = first; i < entries.length; i++) {
      if (!get(linearized, i) && entries[i].required()) {
        minComplete = Math.min(minComplete, entries[i].complete());
      }
    }
    int count = 0;
    int[] out = new int[8];
    for (int i = first; i < entries.length && entries[i].invoke() <= minComplete; i++) {
      if (get(linearized, i)) {
        continue;
      }
      History.Op op = entries[i].op();
      if (op.type() == History.Type.READ && Objects.equals(op.value(), value)) {
        return new int[] {i};
      }
      if (count == out.length) {
        out = Arrays.copyOf(out, count * 2);
      }
      out[count++] = i;
    }
    return Arrays.copyOf(out, count);
  }

  private static String explain(Entry[] entries, int deepest, int required, long[] set, String value) {
    Entry blocking = null;
    for (int i = 0; i < entries.length; i++) {
      if (!get(set, i) && entries[i].required() && (blocking == null || entries[i].complete() < blocking.complete())) {
        blocking = entries[i];
      }
    }
    String what = blocking == null ? "?" : describe(blocking.op());
    return "at most " + deepest + " of " + required + " acknowledged operations linearize; then the register holds "
        + (value == null ? "nothing" : "'" + value + "'") + " and none of the next candidates fits, e.g. " + what;
  }

  private static String describe(History.Op op) {
    String f = switch (op.type()) {
      case READ -> "read -> " + (op.value() == null ? "nothing" : "'" + op.value() + "'");
      case WRITE -> "write '" + op.value() + "'";
      case CAS -> "cas '" + op.expected() + "' -> '" + op.value() + "'";
      default -> op.type().name();
    };
    return "op " + op.index() + " (" + f + ", worker " + op.worker() + ", " + op.invokeNanos() / 1_000_000 + ".."
        + op.completeNanos() / 1_000_000 + " ms, " + op.outcome() + ")";
  }

  private static boolean get(long[] w, int i) {
    return (w[i >>> 6] & (1L << i)) != 0;
  }

  private static void set(long[] w, int i) {
    w[i >>> 6] |= 1L << i;
  }

  private static void clear(long[] w, int i) {
    w[i >>> 6] &= ~(1L << i);
  }
}
