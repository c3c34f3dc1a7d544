package io.cobalt.cli.role;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Network partitions between node processes that all listen on 127.0.0.1 (ADR 0011). On loopback
 * every connection gets source 127.0.0.1, so rules by address pair cannot tell nodes apart; instead
 * each node JVM runs in a cgroup v2 of its own ({@code cobalt-<run>-<node>}), and a rule in this
 * run's iptables chain ({@code COBALT-<run>}, jumped to from {@code OUTPUT}) drops the TCP packets
 * that a node's cgroup sends to another node's listening ports (Raft, gRPC, membership). A TCP
 * connection needs both directions, so dropping A's packets to B's ports cuts every connection A
 * opens to B; with B's packets to A's ports dropped too, the pair is cut fully. Processes outside
 * the cgroups (the gateway, the test) are unaffected: the gateway reaches every node throughout.
 *
 * <p>Healing flushes the chain; {@link #close()} deletes the chain, its jump and the cgroups. A
 * chain or cgroup left by a run whose JVM died (its pid is part of the run id) is removed when the
 * next run starts. Needs root, {@code iptables} with the {@code cgroup} match and a cgroup v2
 * hierarchy; {@link #create} fails with a message saying which is missing.
 */
public final class NetworkFaults implements AutoCloseable {
  private static final String CHAIN_PREFIX = "COBALT-";
  private static final String CGROUP_PREFIX = "cobalt-";
  private static final long COMMAND_TIMEOUT_SECONDS = 20;

  private final String runId;
  private final Path cgroupRoot;
  private final String chain;
  private final Map<String, Path> cgroups = new LinkedHashMap<>(); // guarded by this
  private final List<String> rules = new ArrayList<>(); // guarded by this
  private boolean chainInstalled; // guarded by this
  private boolean closed; // guarded by this

  private NetworkFaults(String runId, Path cgroupRoot) {
    this.runId = runId;
    this.cgroupRoot = cgroupRoot;
    this.chain = CHAIN_PREFIX + runId;
  }

  /**
   * Checks that node processes can be given cgroups here and removes the cgroups dead runs left
   * behind. The iptables chain is made on the first {@link #block} (and checked then).
   *
   * @throws IOException saying what is missing: cgroup v2, or root
   */
  public static NetworkFaults create() throws IOException {
    Path root = cgroup2Root();
    if (root == null) {
      throw new IOException("network partitions need a cgroup v2 hierarchy (none is mounted: see /proc/self/mountinfo)");
    }
    if (!Files.isWritable(root.resolve("cgroup.procs"))) {
      throw new IOException("network partitions need root: cannot write " + root.resolve("cgroup.procs"));
    }
    long pid = ProcessHandle.current().pid();
    byte[] random = new byte[2];
    new SecureRandom().nextBytes(random);
    String runId = pid + "-" + HexFormat.of().formatHex(random);
    NetworkFaults f = new NetworkFaults(runId, root);
    f.removeLeftoverCgroups();
    return f;
  }

  /** Where cgroup v2 is mounted ({@code /sys/fs/cgroup} or {@code /sys/fs/cgroup/unified}), or null. */
  static Path cgroup2Root() throws IOException {
    Path mountinfo = Paths.get("/proc/self/mountinfo");
    if (!Files.isReadable(mountinfo)) {
      return null;
    }
    for (String line : Files.readAllLines(mountinfo)) {
      // id parent major:minor root mountpoint options ... - fstype source superoptions
      int dash = line.indexOf(" - ");
      if (dash < 0) {
        continue;
      }
      String[] after = line.substring(dash + 3).split(" ");
      String[] before = line.substring(0, dash).split(" ");
      if (after.length > 0 && after[0].equals("cgroup2") && before.length > 4 && before[3].equals("/")) {
        return Paths.get(before[4]);
      }
    }
    return null;
  }

  public String runId() {
    return runId;
  }

  public String chain() {
    return chain;
  }

  /**
   * The {@code cgroup.procs} file of {@code node}'s cgroup, created on first use and kept for the
   * run: a rule refers to the cgroup it was made with, so a restarted node goes back into the same one.
   */
  public synchronized Path cgroupProcs(String node) throws IOException {
    if (closed) {
      throw new IllegalStateException("network faults of run " + runId + " are closed");
    }
    Path dir = cgroups.get(node);
    if (dir == null) {
      dir = cgroupRoot.resolve(cgroupName(node));
      Files.createDirectories(dir);
      cgroups.put(node, dir);
    }
    return dir.resolve("cgroup.procs");
  }

  private String cgroupName(String node) {
    return CGROUP_PREFIX + runId + "-" + node;
  }

  /**
   * Drops every TCP packet that {@code from}'s processes send to {@code toPorts} (the listening
   * ports of another node): {@code from} can no longer open or use connections to that node, while
   * that node's own connections to {@code from} keep working (one direction of a partition).
   */
  public synchronized void block(String from, List<Integer> toPorts) throws IOException, InterruptedException {
    if (!cgroups.containsKey(from)) {
      throw new IllegalStateException(from + " was not started in a cgroup of run " + runId
          + ": start it through ProcessCluster before partitioning it");
    }
    ensureChain();
    for (int port : toPorts) {
      List<String> rule = List.of("-m", "cgroup", "--path", cgroupName(from), "-p", "tcp", "--dport",
          Integer.toString(port), "-j", "DROP");
      List<String> cmd = new ArrayList<>(List.of("iptables", "-w", "-A", chain));
      cmd.addAll(rule);
      iptables(cmd);
      rules.add(String.join(" ", rule));
    }
  }

  /** The rules in force now (for logs). */
  public synchronized List<String> rules() {
    return List.copyOf(rules);
  }

  /** Removes every rule: the network is whole again. */
  public synchronized void heal() throws IOException, InterruptedException {
    if (!chainInstalled) {
      return;
    }
    iptables(List.of("iptables", "-w", "-F", chain));
    rules.clear();
  }

  private void ensureChain() throws IOException, InterruptedException {
    if (chainInstalled) {
      return;
    }
    Result version = run(List.of("iptables", "-V"), true);
    if (version.code != 0) {
      throw new IOException("network partitions need iptables (Debian: apt-get install iptables): " + version.output);
    }
    removeLeftoverChains();
    iptables(List.of("iptables", "-w", "-N", chain));
    chainInstalled = true;
    iptables(List.of("iptables", "-w", "-I", "OUTPUT", "1", "-j", chain));
    // Prove that the cgroup match works here before any run relies on it.
    Path probe = cgroupRoot.resolve(cgroupName("probe"));
    Files.createDirectories(probe);
    try {
      Result r = run(List.of("iptables", "-w", "-A", chain, "-m", "cgroup", "--path", probe.getFileName().toString(),
          "-p", "tcp", "--dport", "9", "-j", "DROP"), true);
      if (r.code != 0) {
        throw new IOException("iptables cannot match by cgroup here (kernel module xt_cgroup?): " + r.output);
      }
      iptables(List.of("iptables", "-w", "-F", chain));
    } catch (IOException e) {
      deleteChain();
      throw e;
    } finally {
      rmdir(probe);
    }
  }

  /** Deletes the chain, its jump from OUTPUT and the cgroups (once their processes are gone). Idempotent. */
  @Override
  public synchronized void close() throws IOException, InterruptedException {
    if (closed) {
      return;
    }
    closed = true;
    IOException failure = null;
    try {
      deleteChain();
    } catch (IOException e) {
      failure = e;
    }
    for (Path dir : cgroups.values()) {
      if (!rmdir(dir) && failure == null) {
        failure = new IOException("could not remove cgroup " + dir + " (a process still in it?)");
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void deleteChain() throws IOException, InterruptedException {
    if (!chainInstalled) {
      return;
    }
    chainInstalled = false;
    rules.clear();
    Result jump = run(List.of("iptables", "-w", "-D", "OUTPUT", "-j", chain), true);
    run(List.of("iptables", "-w", "-F", chain), true);
    Result delete = run(List.of("iptables", "-w", "-X", chain), true);
    if (delete.code != 0) {
      throw new IOException("could not delete iptables chain " + chain + ": " + jump.output + " " + delete.output);
    }
  }

  /** A cgroup can be removed once empty; a killed process may take a moment to leave it. */
  private static boolean rmdir(Path dir) {
    for (int i = 0; i < 50; i++) {
      try {
        Files.deleteIfExists(dir);
        return true;
      } catch (IOException e) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return false;
  }

  /** Chains of runs whose JVM is gone (killed before it could clean up). */
  private static void removeLeftoverChains() throws IOException, InterruptedException {
    Result list = run(List.of("iptables", "-w", "-S"), true);
    if (list.code != 0) {
      throw new IOException("iptables -S failed (root needed): " + list.output);
    }
    for (String line : list.output.split("\n")) {
      if (line.startsWith("-N " + CHAIN_PREFIX)) {
        String name = line.substring(3).trim();
        if (deadRun(name.substring(CHAIN_PREFIX.length()))) {
          run(List.of("iptables", "-w", "-D", "OUTPUT", "-j", name), true);
          run(List.of("iptables", "-w", "-F", name), true);
          run(List.of("iptables", "-w", "-X", name), true);
        }
      }
    }
  }

  /** Cgroups of runs whose JVM is gone. */
  private void removeLeftoverCgroups() throws IOException {
    try (Stream<Path> dirs = Files.list(cgroupRoot)) {
      for (Path d : dirs.toList()) {
        String n = d.getFileName().toString();
        if (n.startsWith(CGROUP_PREFIX) && Files.isDirectory(d) && deadRun(n.substring(CGROUP_PREFIX.length()))) {
          rmdir(d);
        }
      }
    }
  }

  /** Whether {@code id} ({@code <pid>-<hex>...}) names a run whose JVM no longer exists. */
  private static boolean deadRun(String id) {
    int dash = id.indexOf('-');
    if (dash <= 0) {
      return false;
    }
    try {
      long pid = Long.parseLong(id.substring(0, dash));
      return ProcessHandle.of(pid).isEmpty();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static void iptables(List<String> cmd) throws IOException, InterruptedException {
    Result r = run(cmd, false);
    if (r.code != 0) {
      throw new IOException(String.join(" ", cmd) + " failed with " + r.code + ": " + r.output);
    }
  }

  private record Result(int code, String output) {}

  private static Result run(List<String> cmd, boolean tolerateMissing) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      if (tolerateMissing) {
        return new Result(127, cmd.get(0) + ": " + e.getMessage());
      }
      throw new IOException(cmd.get(0) + " cannot be run (installed? on the PATH?): " + e.getMessage(), e);
    }
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + " did not finish within " + COMMAND_TIMEOUT_SECONDS + " s");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
  }
}
