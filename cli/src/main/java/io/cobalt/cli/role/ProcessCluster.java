package io.cobalt.cli.role;

import io.cobalt.crypto.tls.ClusterTls;
import io.cobalt.gateway.AccountKeys;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of separate JVMs started from the packaged {@code cobalt.jar} on this machine:
 * {@code cobalt init}, then one kms-agent, N nodes and one gateway, each with its config file from
 * init and its output in {@code <dir>/logs/<name>.log}. Nodes can be killed (SIGKILL), paused
 * (SIGSTOP/SIGCONT), stopped (SIGTERM) and restarted on their data. Every process it started is
 * killed on {@link #close()} and by a shutdown hook, also when the caller forgets.
 *
 * <p>Where the machine allows it (root, cgroup v2), each node JVM starts inside a cgroup of its own,
 * so that {@link #blockTraffic} can partition nodes with iptables ({@link NetworkFaults}, ADR 0011);
 * the rules and cgroups go with {@link #close()} and the shutdown hook too.
 *
 * <p>For tests and chaos runs; production runs the roles under a supervisor (systemd, Kubernetes).
 */
public final class ProcessCluster implements AutoCloseable {
  /** Every JVM this cluster starts gets these (small machine: ≤ 2 cores shared). */
  static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC", "-Xss512k",
      "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
      // Hazelcast (membership): SLF4J logging from the first line, and the module access it wants.
      "-Dhazelcast.logging.type=slf4j", "--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");
  /**
   * How long a role may take to print its ready line: generous, since several clusters and builds
   * may share 2 cores (a kms-agent has been seen to need more than 90 s at a load average of 36).
   */
  private static final long READY_TIMEOUT_MILLIS = Long.getLong("cobalt.cluster.readyTimeoutMillis", 180_000);

  private final Path dir;
  private final Path jar;
  private final int nodeCount;
  private final List<String> joinedNodes = new ArrayList<>(); // guarded by this
  private final Map<String, RoleHandle> running = new HashMap<>(); // guarded by this
  private final Thread hook;
  /** Null when this machine cannot give nodes cgroups; then {@link #networkUnavailable} says why. */
  private final NetworkFaults network;
  private final String networkUnavailable;

  private ProcessCluster(Path dir, Path jar, int nodeCount) {
    this.dir = dir;
    this.jar = jar;
    this.nodeCount = nodeCount;
    NetworkFaults n = null;
    String why = null;
    try {
      n = NetworkFaults.create();
    } catch (IOException e) {
      why = e.getMessage();
    }
    this.network = n;
    this.networkUnavailable = why;
    this.hook = new Thread(this::cleanUp, "cobalt-process-cluster-kill");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Runs {@code cobalt init --dir dir --nodes n --blob-port 0} as a process of its own; starts nothing yet. */
  public static ProcessCluster init(Path dir, Path jar, int nodes, int partitions) throws IOException, InterruptedException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException("the packaged jar is missing: " + jar + " (mvn -pl cli package)");
    }
    Files.createDirectories(dir.resolve("logs"));
    Path log = dir.resolve("logs/init.log");
    List<String> cmd = command(jar, List.of());
    cmd.addAll(List.of("init", "--dir", dir.toString(), "--nodes", Integer.toString(nodes), "--blob-port", "0",
        "--partitions", Integer.toString(partitions)));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("cobalt init failed:\n" + Files.readString(log));
      }
    } finally {
      p.destroyForcibly();
    }
    return new ProcessCluster(dir, jar, nodes);
  }

  /** The packaged jar in a Maven build: {@code <module>/../cli/target/cobalt.jar} or {@code target/cobalt.jar}. */
  public static Path defaultJar() {
    Path own = Paths.get("target", "cobalt.jar").toAbsolutePath();
    return Files.isRegularFile(own) ? own : Paths.get("..", "cli", "target", "cobalt.jar").toAbsolutePath().normalize();
  }

  /** {@code java <options> -jar cobalt.jar}: the roles are subcommands of the one command. */
  private static List<String> command(Path jar, List<String> jvmOptions) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-jar", jar.toString()));
    return cmd;
  }

  /** Starts the kms-agent and every node, waits until each node's partition groups have leaders, then the gateway. */
  public void startAll() throws IOException, InterruptedException {
    List<RoleHandle> started = new ArrayList<>();
    started.add(launch("kms-agent", "kms-agent"));
    for (int i = 1; i <= nodeCount; i++) {
      started.add(launch("node", nodeName(i)));
    }
    for (RoleHandle h : started) {
      h.awaitLine("ready", READY_TIMEOUT_MILLIS);
    }
    for (int i = 1; i <= nodeCount; i++) {
      running(nodeName(i)).awaitLine("every partition group has a leader", READY_TIMEOUT_MILLIS);
    }
    launch("gateway", "gateway").awaitLine("ready", READY_TIMEOUT_MILLIS);
  }

  public static String nodeName(int i) {
    return InitCommand.nodeId(i);
  }

  /** The nodes of the initial configuration ({@code cobalt init --nodes}); {@link #joinedNodes()} are beyond them. */
  public int nodeCount() {
    return nodeCount;
  }

  /** Nodes started by {@link #addNode} so far, in order. */
  public synchronized List<String> joinedNodes() {
    return List.copyOf(joinedNodes);
  }

  /**
   * Starts a node that is not in the initial configuration, which joins the running cluster (ADR
   * 0029): a new id ({@code node-<N+1>}, ...), its own data directory and fresh ports on the
   * configured nodes' bind host, a certificate issued by the cluster CA, {@code join=true} with the
   * configured nodes' Raft addresses as seeds, and the Hazelcast TCP-IP member list of the others
   * plus its own. Other settings (partitions, TLS dir, placement and healing settings) are those of
   * {@code node-1.properties}; {@code chunk.nodes} and {@code replication.factor} are left out (a
   * joining node holds metadata partitions, not chunks, ADR 0029). Waits for its ready line and returns its name.
   */
  public String addNode() throws IOException, InterruptedException {
    String name;
    synchronized (this) {
      name = nodeName(nodeCount + joinedNodes.size() + 1);
      joinedNodes.add(name);
    }
    writeJoiningNodeConfig(dir, name);
    launch("node", name).awaitLine("ready", READY_TIMEOUT_MILLIS);
    return name;
  }

  /**
   * Writes {@code <clusterDir>/<name>.properties} for a node joining the cluster {@code cobalt
   * init} wrote into {@code clusterDir} (what {@link #addNode} starts), and issues its certificate.
   */
  static Path writeJoiningNodeConfig(Path clusterDir, String name) throws IOException {
    Properties seed = properties(clusterDir.resolve(nodeName(1) + ".properties"));
    String host = seed.getProperty("bind.host", "127.0.0.1").trim();
    ClusterTls.ensure(clusterDir.resolve(seed.getProperty("tls.dir", "tls").trim()), "cobalt", List.of(name),
        new SecureRandom());
    List<Integer> ports = freePorts(host, 3);
    Map<String, String> n = new LinkedHashMap<>();
    for (String key : seed.stringPropertyNames()) {
      n.put(key, seed.getProperty(key).trim());
    }
    // Chunk settings: a joining node holds no chunks (ADR 0029), and the replication factor is
    // checked against chunk.nodes, so both go.
    n.remove("chunk.nodes");
    n.remove("replication.factor");
    n.put("node.id", name);
    n.put("bind.host", host);
    n.put("grpc.port", Integer.toString(ports.get(0)));
    n.put("raft.port", Integer.toString(ports.get(1)));
    n.put("membership.port", Integer.toString(ports.get(2)));
    n.put("data.dir", "nodes/" + name);
    n.put("tls.name", name);
    n.put("join", "true");
    n.put("membership.enabled", "true");
    String members = seed.getProperty("membership.members", "").trim();
    n.put("membership.members", (members.isEmpty() ? "" : members + ",") + host + ":" + ports.get(2));
    StringBuilder b = new StringBuilder("# cobalt node " + name + ": joins a running cluster (ProcessCluster.addNode)\n");
    n.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    Path file = clusterDir.resolve(name + ".properties");
    Files.writeString(file, b.toString());
    return file;
  }

  private static List<Integer> freePorts(String host, int count) throws IOException {
    List<ServerSocket> open = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host));
        open.add(s);
        ports.add(s.getLocalPort());
      }
      return ports;
    } finally {
      for (ServerSocket s : open) {
        s.close();
      }
    }
  }

  public Path dir() {
    return dir;
  }

  /** The connection string of the account {@code cobalt init} created (key1 read from the account-keys file). */
  public String connectionString() throws IOException {
    try {
      AccountKeys a = AccountKeysFile.read(dir.resolve("account-keys.properties")).get(0);
      Properties g = properties(dir.resolve("gateway.properties"));
      String endpoint = "http://" + g.getProperty("bind.host") + ":" + g.getProperty("blob.port") + "/" + a.account();
      String tables = g.getProperty("table.port") == null ? ""
          : "TableEndpoint=http://" + g.getProperty("bind.host") + ":" + g.getProperty("table.port") + "/"
              + a.account() + ";";
      String queues = g.getProperty("queue.port") == null ? ""
          : "QueueEndpoint=http://" + g.getProperty("bind.host") + ":" + g.getProperty("queue.port") + "/"
              + a.account() + ";";
      return "DefaultEndpointsProtocol=http;AccountName=" + a.account() + ";AccountKey="
          + Base64.getEncoder().encodeToString(a.key1()) + ";BlobEndpoint=" + endpoint + ";" + tables + queues;
    } catch (RoleConfigException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private static Properties properties(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    return p;
  }

  /** The listening ports of a node (gRPC, Raft, membership), from its config file. */
  public List<Integer> nodePorts(String node) throws IOException {
    Properties p = properties(dir.resolve(node + ".properties"));
    List<Integer> ports = new ArrayList<>();
    for (String key : List.of("grpc.port", "raft.port", "membership.port")) {
      String v = p.getProperty(key);
      if (v != null && !v.isBlank()) {
        ports.add(Integer.parseInt(v.trim()));
      }
    }
    return ports;
  }

  /** A node's data directory (RocksDB, Raft logs), from its config file. */
  public Path dataDir(String node) throws IOException {
    String d = properties(dir.resolve(node + ".properties")).getProperty("data.dir");
    if (d == null) {
      throw new IOException(node + ".properties has no data.dir");
    }
    return dir.resolve(d).normalize();
  }

  /**
   * The network faults of this cluster's nodes.
   *
   * @throws IOException when this machine cannot partition processes, saying why (root, cgroup v2)
   */
  public NetworkFaults network() throws IOException {
    if (network == null) {
      throw new IOException("cannot partition nodes on this machine: " + networkUnavailable);
    }
    return network;
  }

  /**
   * From now on, {@code from} cannot reach {@code to}: its packets to {@code to}'s listening ports
   * are dropped. Connections that {@code to} opens to {@code from} keep working; block both
   * directions to cut the pair. Lasts until {@link #healNetwork()}.
   */
  public void blockTraffic(String from, String to) throws IOException, InterruptedException {
    network().block(from, nodePorts(to));
  }

  /** Removes every partition rule. */
  public void healNetwork() throws IOException, InterruptedException {
    if (network != null) {
      network.heal();
    }
  }

  /** Waits until the running {@code name} (a node) reports a leader for each of its partition groups. */
  public void awaitLeaders(String name) throws IOException, InterruptedException {
    running(name).awaitLine("every partition group has a leader", READY_TIMEOUT_MILLIS);
  }

  /** SIGKILL: the node dies without closing anything. */
  public void kill(String name) throws InterruptedException {
    RoleHandle h = remove(name);
    h.process.destroyForcibly();
    h.process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: the role closes cleanly; returns its exit code (143 after a clean stop). */
  public int stop(String name) throws InterruptedException {
    RoleHandle h = remove(name);
    h.process.destroy();
    if (!h.process.waitFor(30, TimeUnit.SECONDS)) {
      h.process.destroyForcibly();
      throw new IllegalStateException(name + " did not stop within 30 s of SIGTERM");
    }
    return h.process.exitValue();
  }

  /**
   * Starts one process that is not running ({@code kms-agent}, {@code gateway}, {@code node-N}) on its
   * config file and data, alone or again after a stop or kill; waits for its ready line.
   */
  public void start(String name) throws IOException, InterruptedException {
    String role = name.startsWith("node-") ? "node" : name;
    launch(role, name).awaitLine("ready", READY_TIMEOUT_MILLIS);
  }

  /** Starts a stopped or killed node again on its config file and data; waits for its ready line. */
  public void restart(String name) throws IOException, InterruptedException {
    start(name);
  }

  /** SIGSTOP: the process stays, frozen; sockets stay open. */
  public void pause(String name) throws IOException, InterruptedException {
    signal(name, "STOP");
  }

  /** SIGCONT after {@link #pause}. */
  public void resume(String name) throws IOException, InterruptedException {
    signal(name, "CONT");
  }

  public long pid(String name) {
    return running(name).process.pid();
  }

  public String log(String name) throws IOException {
    return Files.readString(dir.resolve("logs/" + name + ".log"));
  }

  private void signal(String name, String signal) throws IOException, InterruptedException {
    long pid = running(name).process.pid(); // only ever a process this cluster started
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IOException("kill -" + signal + " " + pid + " failed");
    }
  }

  private synchronized RoleHandle running(String name) {
    RoleHandle h = running.get(name);
    if (h == null || !h.process.isAlive()) {
      throw new IllegalStateException(name + " is not running");
    }
    return h;
  }

  private synchronized RoleHandle remove(String name) {
    RoleHandle h = running(name);
    running.remove(name);
    return h;
  }

  private synchronized RoleHandle launch(String role, String name) throws IOException {
    if (running.containsKey(name) && running.get(name).process.isAlive()) {
      throw new IllegalStateException(name + " is already running");
    }
    Path log = dir.resolve("logs/" + name + ".log");
    long offset = Files.exists(log) ? Files.size(log) : 0;
    List<String> cmd = command(jar, JVM_OPTIONS);
    cmd.addAll(List.of(role, "--config", dir.resolve(name + ".properties").toString()));
    if (role.equals("node") && network != null) {
      // The JVM starts inside the node's cgroup, so every socket it ever opens belongs to it (a
      // socket keeps the cgroup it was created in; moving a running process would miss some).
      List<String> wrapped = new ArrayList<>(List.of("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
          network.cgroupProcs(name).toString()));
      wrapped.addAll(cmd);
      cmd = wrapped;
    }
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    RoleHandle h = new RoleHandle(name, p, log, offset);
    running.put(name, h);
    return h;
  }

  /** Kills (SIGKILL) every process still running, a paused one too; removes partition rules and cgroups. */
  @Override
  public void close() {
    cleanUp();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // the JVM is already shutting down
    }
  }

  private void cleanUp() {
    killAll();
    if (network != null) {
      try {
        network.close();
      } catch (IOException e) {
        System.err.println("process cluster: " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void killAll() {
    List<RoleHandle> all;
    synchronized (this) {
      all = new ArrayList<>(running.values());
      running.clear();
    }
    for (RoleHandle h : all) {
      h.process.destroyForcibly();
    }
    for (RoleHandle h : all) {
      try {
        h.process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** One running role process and the part of its log written since it started. */
  private record RoleHandle(String name, Process process, Path log, long offset) {
    void awaitLine(String marker, long timeoutMillis) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
      while (System.nanoTime() < deadline) {
        String text = since();
        for (String line : text.split("\n")) {
          if (line.startsWith("cobalt ") && line.contains(marker)) {
            return;
          }
        }
        if (!process.isAlive()) {
          throw new IOException(name + " exited with " + process.exitValue() + " before '" + marker + "':\n" + tail(text));
        }
        Thread.sleep(100);
      }
      throw new IOException(name + ": no '" + marker + "' within " + timeoutMillis + " ms:\n" + tail(since()));
    }

    private String since() throws IOException {
      byte[] all = Files.readAllBytes(log);
      return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
          StandardCharsets.UTF_8);
    }

    private static String tail(String text) {
      return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }
  }
}
