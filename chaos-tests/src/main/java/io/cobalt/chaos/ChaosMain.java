package io.cobalt.chaos;

import io.cobalt.cli.role.ProcessCluster;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code cobalt chaos}: the chaos suite against a process cluster it starts, for as long as asked.
 * Prints the seed, the schedule and a summary; exit code 0 when every invariant held, 1 when one
 * failed, 2 on a usage error. The root {@code cobalt} script runs this from the chaos jar
 * (docs/adr/0012-cobalt-chaos-packaging.md).
 */
public final class ChaosMain {
  static final String USAGE = """
      usage: cobalt chaos [--duration 60s] [--seed N] [--nodes 3] [--partitions 8]
                          [--workloads set,register,queue,table,batch] [--faults keys,remove-node,add-node]
                          [--report DIR] [--jar cobalt.jar] [--keep-data]
        Starts a cluster of separate processes (kms-agent, N nodes, gateway) from the packaged jar, runs the
        workloads while seeded faults (SIGKILL and restart, SIGSTOP/SIGCONT, partitions, chunk corruption,
        rolling restarts) hit random nodes for --duration (s, m or h; a bare number is seconds), heals, checks
        every invariant and writes chaos-report.json, chaos-report.html and chaos-history.jsonl into --report
        (default ./chaos-report).
        --faults adds to the menu: keys (= key-rotate,key-revoke,kms-down,kms-pause), any of those four,
        remove-node (needs --nodes 4 or more), add-node (once per run: a node beyond the initial configuration
        joins the running cluster; the run reports the time until the first partition voter moved to it), or
        none (the default).
        Exit code: 0 every invariant held, 1 one failed, 2 usage error. Replay a run with its --seed.
      """;

  /** A usage error: the message, then the usage. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  private ChaosMain() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs and returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    ChaosSuite.Options options;
    try {
      options = parse(args);
    } catch (UsageException e) {
      if (e.getMessage() != null) {
        err.println("cobalt chaos: " + e.getMessage());
        err.print(USAGE);
        return 2;
      }
      out.print(USAGE);
      return 0;
    }
    try {
      ChaosSuite.Outcome outcome = ChaosSuite.run(options, out);
      return outcome.passed() ? 0 : 1;
    } catch (Exception e) {
      err.println("cobalt chaos: the run failed before its checks: " + e);
      return 1;
    }
  }

  /** The options, or a UsageException (message null for --help). */
  static ChaosSuite.Options parse(String[] args) throws UsageException {
    long seed = System.nanoTime();
    int nodes = 3;
    int partitions = 8;
    long durationMillis = 60_000;
    Set<String> workloads = new LinkedHashSet<>(ChaosSuite.WORKLOADS);
    Path report = Paths.get("chaos-report");
    Path jar = null;
    boolean keepData = false;
    Set<FaultSchedule.Kind> extras = new LinkedHashSet<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        throw new UsageException(null);
      }
      if (a.equals("--keep-data")) {
        keepData = true;
        continue;
      }
      if (!a.startsWith("--")) {
        throw new UsageException("unexpected argument '" + a + "'");
      }
      if (i + 1 >= args.length) {
        throw new UsageException(a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--duration" -> durationMillis = duration(v);
        case "--seed" -> seed = number(a, v, Long.MIN_VALUE, Long.MAX_VALUE);
        case "--nodes" -> nodes = (int) number(a, v, 3, 9);
        case "--partitions" -> partitions = (int) number(a, v, 1, 256);
        case "--report" -> report = Paths.get(v);
        case "--jar" -> jar = Paths.get(v);
        case "--workloads" -> {
          workloads = new LinkedHashSet<>();
          for (String w : v.split(",")) {
            String name = w.trim().toLowerCase(Locale.ROOT);
            if (!ChaosSuite.WORKLOADS.contains(name)) {
              throw new UsageException("unknown workload '" + w + "' (known: " + String.join(",", ChaosSuite.WORKLOADS) + ")");
            }
            workloads.add(name);
          }
          if (workloads.isEmpty()) {
            throw new UsageException("--workloads names none");
          }
        }
        case "--faults" -> extras = faults(v);
        default -> throw new UsageException("unknown option " + a);
      }
    }
    if (extras.contains(FaultSchedule.Kind.REMOVE_NODE) && nodes < 4) {
      throw new UsageException("--faults remove-node needs --nodes 4 or more (a spare node for the lost voters)");
    }
    Path abs = report.toAbsolutePath();
    return new ChaosSuite.Options(seed, nodes, partitions, durationMillis, Collections.unmodifiableSet(workloads), abs,
        abs.resolve("chaos-runs"), jar != null ? jar.toAbsolutePath() : ProcessCluster.defaultJar(), keepData,
        Collections.unmodifiableSet(extras), null);
  }

  /** {@code --faults}: {@code keys}, {@code key-rotate}, {@code key-revoke}, {@code kms-down}, {@code kms-pause}, {@code remove-node}, {@code add-node}, {@code none}. */
  static Set<FaultSchedule.Kind> faults(String v) throws UsageException {
    Set<FaultSchedule.Kind> out = new LinkedHashSet<>();
    for (String part : v.split(",")) {
      String name = part.trim().toLowerCase(Locale.ROOT);
      switch (name) {
        case "none", "" -> { }
        case "keys" -> out.addAll(List.of(FaultSchedule.Kind.KEY_ROTATE, FaultSchedule.Kind.KEY_REVOKE,
            FaultSchedule.Kind.KMS_DOWN, FaultSchedule.Kind.KMS_PAUSE));
        case "key-rotate" -> out.add(FaultSchedule.Kind.KEY_ROTATE);
        case "key-revoke" -> out.add(FaultSchedule.Kind.KEY_REVOKE);
        case "kms-down" -> out.add(FaultSchedule.Kind.KMS_DOWN);
        case "kms-pause" -> out.add(FaultSchedule.Kind.KMS_PAUSE);
        case "remove-node" -> out.add(FaultSchedule.Kind.REMOVE_NODE);
        case "add-node" -> out.add(FaultSchedule.Kind.ADD_NODE);
        default -> throw new UsageException("--faults: unknown fault '" + part
            + "' (known: keys, key-rotate, key-revoke, kms-down, kms-pause, remove-node, add-node, none)");
      }
    }
    return out;
  }

  /** {@code 90}, {@code 90s}, {@code 5m}, {@code 2h}: milliseconds, at least 10 s, at most 7 days. */
  static long duration(String v) throws UsageException {
    String s = v.trim().toLowerCase(Locale.ROOT);
    long unit = 1000;
    if (s.endsWith("ms")) {
      throw new UsageException("--duration takes s, m or h, not ms: '" + v + "'");
    } else if (s.endsWith("s")) {
      s = s.substring(0, s.length() - 1);
    } else if (s.endsWith("m")) {
      unit = 60_000;
      s = s.substring(0, s.length() - 1);
    } else if (s.endsWith("h")) {
      unit = 3_600_000;
      s = s.substring(0, s.length() - 1);
    }
    long n;
    try {
      n = Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new UsageException("--duration: not a duration: '" + v + "' (e.g. 90s, 10m, 2h)");
    }
    if (n <= 0 || n > 7L * 24 * 3_600_000 / unit) {
      throw new UsageException("--duration: out of range: '" + v + "' (10 s to 7 days)");
    }
    long millis = n * unit;
    if (millis < 10_000) {
      throw new UsageException("--duration: at least 10 s, got '" + v + "'");
    }
    return millis;
  }

  private static long number(String option, String v, long min, long max) throws UsageException {
    try {
      long n = Long.parseLong(v.trim());
      if (n < min || n > max) {
        throw new UsageException(option + ": " + n + " is out of range " + min + ".." + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new UsageException(option + ": not a number: '" + v + "'");
    }
  }
}
