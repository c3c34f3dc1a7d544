package io.cobalt.cli;

import io.cobalt.crypto.tls.ClusterTls;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.gateway.AccountKeys;
import io.cobalt.gateway.GatewayConfig;
import io.cobalt.gateway.GatewayHttpsConfig;
import io.cobalt.gateway.GatewayServer;
import io.cobalt.gateway.KeyCacheConfig;
import io.cobalt.gateway.NodeEndpoint;
import io.cobalt.kms.KeyBackendConfig;
import io.cobalt.kms.KmsAgentConfig;
import io.cobalt.kms.KmsAgentServer;
import io.cobalt.kms.MasterKeyFile;
import io.cobalt.kms.policy.CallerGrant;
import io.cobalt.node.ClusterPeer;
import io.cobalt.node.ListenPorts;
import io.cobalt.node.NodeConfig;
import io.cobalt.node.healing.HealingConfig;
import io.cobalt.node.NodeServer;
import io.cobalt.node.consensus.GroupStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole encrypted cluster in one JVM: kms-agent, N nodes and the gateway on one loopback address,
 * each with its own certificate from the cluster CA, talking mTLS over real sockets. What
 * {@code cobalt dev} runs and what the end-to-end tests drive.
 *
 * <p>Every partition's metadata is a Raft group with a voter on each of 3 nodes (Apache Ratis over
 * mTLS on each node's Raft port), so the cluster keeps serving with one node down.
 *
 * <p>Layout of the data directory: {@code tls/} (CA, process certificates and the operator's
 * {@code admin} certificate, which the kms-agent grants every management operation on every key), {@code kms/}
 * (master key, sealed keystore, audit log), {@code nodes/node-N/} (RocksDB, Raft logs),
 * {@code cluster.properties} (partition count and node count, fixed at initialisation, and each
 * node's Raft port, chosen free at initialisation and reused on every start because Raft peers
 * store each other's addresses) and {@code account-keys.properties} (0600).
 */
public final class DevCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DevCluster.class);
  private static final String FJP_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  static {
    // On <= 2 CPUs the common pool has parallelism 1 and Ratis then starts a thread per async task
    // (research/ratis.md §7.2). Effective only if nothing touched the common pool yet; the node
    // logs a warning otherwise. The JVM flag is the reliable way.
    if (System.getProperty(FJP_PARALLELISM) == null) {
      System.setProperty(FJP_PARALLELISM, "4");
    }
  }

  /** How long start() waits for every partition group to elect a leader. */
  static final Duration LEADER_WAIT = Duration.ofSeconds(30);

  /** The Azure Storage emulator's well-known account and key, so {@code UseDevelopmentStorage=true} works. */
  public static final String DEV_ACCOUNT = "devstoreaccount1";
  public static final String DEV_ACCOUNT_KEY =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

  static final String KMS = "kms-agent";
  static final String GATEWAY = "gateway";
  /**
   * The operator's certificate in {@code <data>/tls}: admin on every key of the dev kms-agent, the
   * default identity of {@code cobalt admin keys --tls-dir <data>/tls}.
   */
  public static final String ADMIN = "admin";
  /** The {@code cluster.properties} key of the address the nodes' gRPC ports are on. */
  public static final String GRPC_HOST = "grpcHost";

  /**
   * Options of an in-process cluster; {@code blobPort} 0 takes any free port.
   *
   * @param https serve the Blob endpoint over HTTPS on {@code blobPort}, with a certificate issued
   *     by the cluster CA ({@code <data>/tls/ca.pem}; valid for localhost, 127.0.0.1 and ::1)
   * @param httpPort with {@code https}, also serve plain HTTP on this port (0: any free port), or
   *     -1 for none; ignored without {@code https} (then {@code blobPort} is plain HTTP)
   * @param tablePort the Table endpoint's port (plain HTTP; 0: any free port), or -1 for none
   * @param queuePort the Queue endpoint's port (plain HTTP; 0: any free port), or -1 for none
   * @param keyBackends further backends of the in-process kms-agent (a PKCS#11 token, a KMIP server;
   *     {@code cobalt dev --key-backends}): keys can be created in them and accounts or scopes switched
   *     to those keys; service-managed keys stay in the local keystore
   */
  public record Options(Path dataDir, String host, int blobPort, int nodes, int partitions,
      int replicationFactor, int writeQuorum, long maxPutBlobBytes, boolean https, int httpPort, int tablePort,
      int queuePort, List<KeyBackendConfig> keyBackends) {
    public Options {
      keyBackends = List.copyOf(keyBackends);
      if (nodes < 1 || replicationFactor < 1 || replicationFactor > nodes || writeQuorum < 1
          || writeQuorum > replicationFactor) {
        throw new IllegalArgumentException("need 1 <= writeQuorum <= replicationFactor <= nodes");
      }
      if (partitions < 1 || partitions > 1024) {
        throw new IllegalArgumentException("partitions must be 1..1024");
      }
      if (httpPort < -1 || httpPort > 65535) {
        throw new IllegalArgumentException("httpPort must be -1 (none) or 0..65535");
      }
      if (tablePort < -1 || tablePort > 65535) {
        throw new IllegalArgumentException("tablePort must be -1 (none) or 0..65535");
      }
      if (queuePort < -1 || queuePort > 65535) {
        throw new IllegalArgumentException("queuePort must be -1 (none) or 0..65535");
      }
    }

    /** Plain HTTP on {@code blobPort}, as before HTTPS existed. */
    public Options(Path dataDir, String host, int blobPort, int nodes, int partitions,
        int replicationFactor, int writeQuorum, long maxPutBlobBytes) {
      this(dataDir, host, blobPort, nodes, partitions, replicationFactor, writeQuorum, maxPutBlobBytes, false, -1,
          -1, -1, List.of());
    }

    public static Options defaults(Path dataDir) {
      return new Options(dataDir, "127.0.0.1", 10000, 3, 16, 3, 2, 5000L * 1024 * 1024);
    }

    public Options withBlobPort(int port) {
      return new Options(dataDir, host, port, nodes, partitions, replicationFactor, writeQuorum, maxPutBlobBytes,
          https, httpPort, tablePort, queuePort, keyBackends);
    }

    /** A Table endpoint on {@code port} (0: any free port; -1: none). */
    public Options withTablePort(int port) {
      return new Options(dataDir, host, blobPort, nodes, partitions, replicationFactor, writeQuorum, maxPutBlobBytes,
          https, httpPort, port, queuePort, keyBackends);
    }

    /** A Queue endpoint on {@code port} (0: any free port; -1: none). */
    public Options withQueuePort(int port) {
      return new Options(dataDir, host, blobPort, nodes, partitions, replicationFactor, writeQuorum, maxPutBlobBytes,
          https, httpPort, tablePort, port, keyBackends);
    }

    /** The in-process kms-agent opens these backends as well (see {@code keyBackends}). */
    public Options withKeyBackends(List<KeyBackendConfig> backends) {
      return new Options(dataDir, host, blobPort, nodes, partitions, replicationFactor, writeQuorum, maxPutBlobBytes,
          https, httpPort, tablePort, queuePort, backends);
    }

    /** HTTPS on {@code blobPort}; plain HTTP on {@code httpPort} as well, or -1 for HTTPS only. */
    public Options withHttps(int httpPort) {
      return new Options(dataDir, host, blobPort, nodes, partitions, replicationFactor, writeQuorum, maxPutBlobBytes,
          true, httpPort, tablePort, queuePort, keyBackends);
    }
  }

  private final Options options;
  private final AccountKeys account;
  private final KmsAgentServer kms;
  private final NodeServer[] nodes; // guarded by this; an entry is null while the node is stopped
  private final NodeConfig[] nodeConfigs; // with the gRPC port each node got, so a restart keeps it
  private final GatewayServer gateway;

  private DevCluster(Options options, AccountKeys account, KmsAgentServer kms, List<NodeServer> nodes,
      GatewayServer gateway) {
    this.options = options;
    this.account = account;
    this.kms = kms;
    this.nodes = nodes.toArray(new NodeServer[0]);
    this.nodeConfigs = nodes.stream().map(n -> n.config().withPort(n.port())).toArray(NodeConfig[]::new);
    this.gateway = gateway;
  }

  public static DevCluster start(Options requested) throws Exception {
    SecureRandom random = new SecureRandom();
    Path data = requested.dataDir().toAbsolutePath();
    Files.createDirectories(data);
    Options options = pinPartitions(requested, data);

    List<String> names = new ArrayList<>(List.of(KMS, GATEWAY, ADMIN));
    for (int i = 1; i <= options.nodes(); i++) {
      names.add(nodeId(i));
    }
    Path tlsDir = data.resolve("tls");
    ClusterTls.ensure(tlsDir, "cobalt-dev", names, random);
    AccountKeys account = devAccount(data, random);

    KmsAgentServer kms = null;
    List<NodeServer> nodes = new ArrayList<>();
    GatewayServer gateway = null;
    try {
      Path kmsDir = data.resolve("kms");
      Files.createDirectories(kmsDir);
      Path masterKey = kmsDir.resolve("master.key");
      MasterKeyFile.createIfAbsent(masterKey, random);
      TlsMaterial gatewayTls = TlsMaterial.load(tlsDir, GATEWAY);
      String adminIdentity = TlsMaterial.identityOf(TlsMaterial.load(tlsDir, ADMIN).certificate());
      kms = KmsAgentServer.start(new KmsAgentConfig(kmsDir, masterKey, options.host(), 0,
          TlsMaterial.load(tlsDir, KMS), Set.of(TlsMaterial.identityOf(gatewayTls.certificate())))
          .withGrants(List.of(CallerGrant.admin(ADMIN, adminIdentity, List.of("*"))))
          .withExtraBackends(options.keyBackends()));

      List<ClusterPeer> peers = raftPeers(options, data);
      int[] grpcPorts = grpcPorts(options, data);
      List<NodeEndpoint> endpoints = new ArrayList<>();
      long t0 = System.nanoTime();
      // Chunk healing (ADR 0010) needs every node's gRPC endpoint: the ports are pinned above.
      Map<String, String> chunkNodes = new LinkedHashMap<>();
      for (int i = 1; i <= options.nodes(); i++) {
        chunkNodes.put(nodeId(i), options.host() + ":" + grpcPorts[i - 1]);
      }
      HealingConfig healing = HealingConfig.defaults(chunkNodes, options.replicationFactor());
      for (int i = 1; i <= options.nodes(); i++) {
        String id = nodeId(i);
        NodeServer node = NodeServer.start(new NodeConfig(id, data.resolve("nodes").resolve(id), options.host(),
            grpcPorts[i - 1],
            options.partitions(), TlsMaterial.load(tlsDir, id), peers.get(i - 1).raftPort(), peers)
            .withHealing(healing));
        nodes.add(node);
        endpoints.add(new NodeEndpoint(id, options.host(), node.port()));
      }
      for (NodeServer node : nodes) {
        if (!node.awaitMetadataLeaders(LEADER_WAIT)) {
          throw new IOException("node " + node.nodeId() + ": not every partition group elected a leader within "
              + LEADER_WAIT.toSeconds() + " s");
        }
      }
      LOG.info("{} nodes x {} partition groups: every group has a leader {} ms after the first node started",
          nodes.size(), options.partitions(), (System.nanoTime() - t0) / 1_000_000);

      gateway = GatewayServer.start(gatewayConfig(options, account, endpoints, kms.port(), gatewayTls));
      return new DevCluster(options, account, kms, List.copyOf(nodes), gateway);
    } catch (Exception | Error e) {
      closeAll(gateway, nodes, kms);
      throw e;
    }
  }

  /**
   * Plain HTTP on {@code blobPort}; or, with {@code https}, HTTPS there with the gateway's
   * cluster-CA certificate and plain HTTP only on {@code httpPort} if one is given.
   */
  private static GatewayConfig gatewayConfig(
      Options options, AccountKeys account, List<NodeEndpoint> endpoints, int kmsPort, TlsMaterial gatewayTls) {
    int httpPort = !options.https() ? options.blobPort() : Math.max(0, options.httpPort());
    GatewayConfig config = new GatewayConfig(options.host(), httpPort, List.of(account), endpoints,
        options.host(), kmsPort, gatewayTls, options.partitions(), options.replicationFactor(),
        options.writeQuorum(), options.maxPutBlobBytes()).withTablePort(options.tablePort())
        .withQueuePort(options.queuePort());
    if (!options.https()) {
      return config;
    }
    return config.withHttps(
        GatewayHttpsConfig.clusterCertificate(options.blobPort(), gatewayTls, options.httpPort() >= 0));
  }

  /**
   * Another gateway over the same nodes and kms-agent, with the same account and certificate, plain
   * HTTP on a free port and the given DEK cache settings; the caller closes it. For tests of what
   * every gateway of a cluster sees (a revocation reaching all of them).
   */
  public GatewayServer startAnotherGateway(KeyCacheConfig keyCache) throws Exception {
    return GatewayServer.start(new GatewayConfig(options.host(), 0, List.of(account), nodeEndpoints(),
        options.host(), kms.port(), TlsMaterial.load(tlsDir(), GATEWAY), options.partitions(),
        options.replicationFactor(), options.writeQuorum(), options.maxPutBlobBytes()).withKeyCache(keyCache));
  }

  /** The cluster gateway's DEK cache counters (null if it has no cache). */
  public io.cobalt.gateway.encryption.CachingKeyClient.Stats gatewayKeyCacheStats() {
    return gateway.keyCacheStats();
  }

  static String nodeId(int i) {
    return "node-" + i;
  }

  /**
   * Each node's Raft peer entry. Raft ports are chosen free when first needed and pinned in
   * {@code cluster.properties}: peers and the groups' stored membership refer to them.
   */
  private static List<ClusterPeer> raftPeers(Options options, Path data) throws IOException {
    Path file = data.resolve("cluster.properties");
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    boolean changed = false;
    List<ClusterPeer> peers = new ArrayList<>();
    for (int i = 1; i <= options.nodes(); i++) {
      String key = nodeId(i) + ".raftPort";
      if (p.getProperty(key) == null) {
        p.setProperty(key, Integer.toString(freePort(options.host())));
        changed = true;
      }
      peers.add(new ClusterPeer(nodeId(i), options.host(), Integer.parseInt(p.getProperty(key))));
    }
    if (changed) {
      try (OutputStream out = Files.newOutputStream(file)) {
        p.store(out, "Cobalt dev cluster layout; fixed at initialisation");
      }
    }
    return peers;
  }

  /**
   * Each node's gRPC port, chosen free when first needed and pinned in {@code cluster.properties}
   * ({@code node-N.grpcPort}, with {@code grpcHost}), so that {@code cobalt admin cluster status
   * --data DIR} finds the nodes of a running dev cluster.
   */
  private static int[] grpcPorts(Options options, Path data) throws IOException {
    Path file = data.resolve("cluster.properties");
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    boolean changed = !options.host().equals(p.getProperty(GRPC_HOST));
    p.setProperty(GRPC_HOST, options.host());
    Set<String> taken = new HashSet<>();
    for (String key : p.stringPropertyNames()) {
      if (key.endsWith("Port")) {
        taken.add(p.getProperty(key)); // Raft ports are not bound yet: free-port probing could return one
      }
    }
    int[] ports = new int[options.nodes()];
    for (int i = 1; i <= options.nodes(); i++) {
      String key = grpcPortKey(i);
      if (p.getProperty(key) == null) {
        String port;
        do {
          port = Integer.toString(freePort(options.host()));
        } while (!taken.add(port));
        p.setProperty(key, port);
        changed = true;
      }
      ports[i - 1] = Integer.parseInt(p.getProperty(key));
    }
    if (changed) {
      try (OutputStream out = Files.newOutputStream(file)) {
        p.store(out, "Cobalt dev cluster layout; fixed at initialisation");
      }
    }
    return ports;
  }

  /** The {@code cluster.properties} key of node {@code i}'s (1-based) gRPC port. */
  public static String grpcPortKey(int i) {
    return nodeId(i) + ".grpcPort";
  }

  /** A port below the kernel's ephemeral range, so no outgoing connection takes it on a later start. */
  private static int freePort(String host) {
    return ListenPorts.next(host);
  }

  /** The partition count is fixed when a data directory is initialised; later starts must agree. */
  private static Options pinPartitions(Options options, Path data) throws IOException {
    Path file = data.resolve("cluster.properties");
    Properties p = new Properties();
    if (Files.exists(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      }
      int stored = Integer.parseInt(p.getProperty("partitions"));
      int storedNodes = Integer.parseInt(p.getProperty("nodes"));
      if (stored != options.partitions() || storedNodes != options.nodes()) {
        LOG.info("using the data directory's layout: {} nodes, {} partitions", storedNodes, stored);
      }
      return new Options(options.dataDir(), options.host(), options.blobPort(), storedNodes, stored,
          Math.min(options.replicationFactor(), storedNodes), Math.min(options.writeQuorum(), storedNodes),
          options.maxPutBlobBytes(), options.https(), options.httpPort(), options.tablePort(),
          options.queuePort(), options.keyBackends());
    }
    p.setProperty("partitions", Integer.toString(options.partitions()));
    p.setProperty("nodes", Integer.toString(options.nodes()));
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, "Cobalt dev cluster layout; fixed at initialisation");
    }
    return options;
  }

  /**
   * key1 is the emulator's well-known key; key2 is random per data directory, kept in a 0600 file.
   * {@code devstoreaccount1.requireInfrastructureEncryption=true} in that file, written before the
   * first start, creates the account with infrastructure encryption (ADR 0032).
   */
  private static AccountKeys devAccount(Path data, SecureRandom random) throws IOException {
    Path file = data.resolve("account-keys.properties");
    Properties p = new Properties();
    if (Files.exists(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      }
    } else {
      byte[] key2 = new byte[64];
      random.nextBytes(key2);
      p.setProperty(DEV_ACCOUNT + ".key2", Base64.getEncoder().encodeToString(key2));
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try (OutputStream out = Files.newOutputStream(file)) {
        p.store(out, "Account keys of the dev cluster (key1 is the emulator's well-known key)");
      }
    }
    byte[] key1 = Base64.getDecoder().decode(DEV_ACCOUNT_KEY);
    byte[] key2 = Base64.getDecoder().decode(p.getProperty(DEV_ACCOUNT + ".key2"));
    boolean infrastructure = Boolean.parseBoolean(
        p.getProperty(DEV_ACCOUNT + ".requireInfrastructureEncryption", "false").trim());
    return new AccountKeys(DEV_ACCOUNT, key1, key2, infrastructure);
  }

  /** The Blob endpoint's port: HTTPS with {@link Options#https()}, else plain HTTP. */
  public int blobPort() {
    return options.https() ? gateway.httpsPort() : gateway.blobPort();
  }

  /** The plain-HTTP port, or -1 when HTTP is off (HTTPS only). */
  public int httpPort() {
    return gateway.blobPort();
  }

  /** {@code http(s)://host:port/devstoreaccount1}. */
  public String blobEndpoint() {
    return (options.https() ? "https" : "http") + "://" + options.host() + ":" + blobPort() + "/" + DEV_ACCOUNT;
  }

  /** The Table endpoint's port, or -1 when there is none. */
  public int tablePort() {
    return gateway.tablePort();
  }

  /** {@code http://host:port/devstoreaccount1}, or null when there is no Table endpoint. */
  public String tableEndpoint() {
    return tablePort() < 0 ? null : "http://" + options.host() + ":" + tablePort() + "/" + DEV_ACCOUNT;
  }

  /** The Queue endpoint's port, or -1 when there is none. */
  public int queuePort() {
    return gateway.queuePort();
  }

  /** {@code http://host:port/devstoreaccount1}, or null when there is no Queue endpoint. */
  public String queueEndpoint() {
    return queuePort() < 0 ? null : "http://" + options.host() + ":" + queuePort() + "/" + DEV_ACCOUNT;
  }

  /** The cluster CA certificate (PEM) a client trusts to talk to the HTTPS endpoint. */
  public Path caCertificate() {
    return tlsDir().resolve(ClusterTls.CA_CERT);
  }

  public Options options() {
    return options;
  }

  /** The kms-agent's mTLS port on {@code options().host()} (for {@code cobalt admin keys --kms}). */
  public int kmsPort() {
    return kms.port();
  }

  /** {@code <data>/tls}: the cluster CA and every certificate, {@value #ADMIN} included. */
  public Path tlsDir() {
    return dataDir().resolve("tls");
  }

  /** The nodes' ids and gRPC addresses, in node order (for tests that query a node directly). */
  public List<NodeEndpoint> nodeEndpoints() {
    List<NodeEndpoint> out = new ArrayList<>();
    for (NodeConfig c : nodeConfigs) {
      out.add(new NodeEndpoint(c.nodeId(), options.host(), c.port()));
    }
    return out;
  }

  /** The second account key, base64, for tests that rotate between keys. */
  public String secondaryKey() {
    return Base64.getEncoder().encodeToString(account.key2());
  }

  public Path dataDir() {
    return options.dataDir().toAbsolutePath();
  }

  public String connectionString() {
    return connectionString(DEV_ACCOUNT_KEY);
  }

  public String connectionString(String accountKey) {
    return "DefaultEndpointsProtocol=" + (options.https() ? "https" : "http") + ";AccountName=" + DEV_ACCOUNT
        + ";AccountKey=" + accountKey + ";BlobEndpoint=" + blobEndpoint() + ";"
        + (queueEndpoint() == null ? "" : "QueueEndpoint=" + queueEndpoint() + ";")
        + (tableEndpoint() == null ? "" : "TableEndpoint=" + tableEndpoint() + ";");
  }

  /**
   * Stops node {@code i} (1-based) as if it were lost: its gRPC server, Raft server and RocksDB
   * close; the gateway keeps its address. For tests of node loss.
   */
  public synchronized void stopNode(int i) {
    NodeServer n = nodes[i - 1];
    if (n == null) {
      throw new IllegalStateException(nodeId(i) + " is already stopped");
    }
    nodes[i - 1] = null;
    n.close();
  }

  /** Node {@code i} (1-based) while it runs (tests drive its healing loops); empty while stopped. */
  public synchronized java.util.Optional<NodeServer> node(int i) {
    return java.util.Optional.ofNullable(nodes[i - 1]);
  }

  /** Starts node {@code i} (1-based) again on its data directory, gRPC port and Raft port. */
  public synchronized void restartNode(int i) throws IOException {
    if (nodes[i - 1] != null) {
      throw new IllegalStateException(nodeId(i) + " is running");
    }
    nodes[i - 1] = NodeServer.start(nodeConfigs[i - 1]);
  }

  /**
   * Waits until node {@code i} (1-based) has caught up in every partition group it is a voter of:
   * each group has a leader, and the node has applied at least the commit index that leader had
   * when first seen. What an operator waits for before restarting the next node; without it, losing
   * another node leaves a majority whose one member is still behind.
   *
   * @throws IllegalStateException with every node's group states if {@code timeout} passes first
   */
  public void awaitCaughtUp(int i, Duration timeout) throws InterruptedException {
    String id = nodeId(i);
    Map<Integer, Long> target = new HashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean done = true;
      NodeServer node;
      Map<Integer, GroupStatus> leaders = new HashMap<>();
      synchronized (this) {
        node = nodes[i - 1];
        if (node == null) {
          throw new IllegalStateException(id + " is stopped");
        }
        for (NodeServer n : nodes) {
          if (n != null) {
            for (GroupStatus g : n.metadataGroupStatus()) {
              if (g.isLeader()) {
                leaders.put(g.partition(), g);
              }
            }
          }
        }
      }
      for (GroupStatus mine : node.metadataGroupStatus()) {
        GroupStatus leader = leaders.get(mine.partition());
        if (leader == null) {
          done = false;
          continue;
        }
        long want = target.computeIfAbsent(mine.partition(), p -> leader.commitIndex());
        done &= mine.appliedIndex() >= want && !mine.leader().isEmpty();
      }
      if (done) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(id + " did not catch up within " + timeout.toMillis() + " ms\n"
            + groupStatusReport());
      }
      Thread.sleep(20);
    }
  }

  /** Every running node's view of its partition groups, one line per group: for diagnostics. */
  public synchronized String groupStatusReport() {
    StringBuilder out = new StringBuilder();
    for (NodeServer n : nodes) {
      if (n == null) {
        continue;
      }
      for (GroupStatus g : n.metadataGroupStatus()) {
        out.append(String.format("%s p%-3d %-9s leader=%-7s term=%d commit=%d applied=%d snapshot=%d logStart=%d %s%n",
            n.nodeId(), g.partition(), g.role(), g.leader(), g.term(), g.commitIndex(), g.appliedIndex(),
            g.snapshotIndex(), g.logStartIndex(), g.peerCommitIndex().isEmpty() ? "" : g.peerCommitIndex()));
      }
    }
    return out.toString();
  }

  @Override
  public void close() {
    List<NodeServer> running = new ArrayList<>();
    synchronized (this) {
      for (NodeServer n : nodes) {
        if (n != null) {
          running.add(n);
        }
      }
    }
    closeAll(gateway, running, kms);
  }

  /**
   * Closes the nodes at the same time: one by one, each close would wait out elections and retries
   * that the next node's close is about to make pointless.
   */
  private static void closeNodesTogether(List<NodeServer> nodes) {
    List<Thread> closing = new ArrayList<>();
    for (NodeServer n : nodes) {
      Thread t = new Thread(n::close, "cobalt-dev-close-" + n.nodeId());
      t.start();
      closing.add(t);
    }
    for (Thread t : closing) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void closeAll(GatewayServer gateway, List<NodeServer> nodes, KmsAgentServer kms) {
    if (gateway != null) {
      gateway.close();
    }
    closeNodesTogether(nodes);
    if (kms != null) {
      kms.close();
    }
  }
}
