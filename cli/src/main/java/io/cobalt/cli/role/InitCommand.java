package io.cobalt.cli.role;

import io.cobalt.cli.admin.http.authz.AdminPolicy;
import io.cobalt.crypto.tls.ClusterTls;
import io.cobalt.gateway.KeyCacheConfig;
import io.cobalt.kms.MasterKeyFile;
import java.io.IOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cobalt init --dir DIR --nodes N}: everything a cluster of separate processes needs on one
 * machine: the cluster CA, one certificate per process and the operator's {@code admin}
 * certificate ({@code tls/}), the kms-agent's master
 * key ({@code kms/master.key}, 0600), the account keys ({@code account-keys.properties}, 0600) and
 * one config file per process ({@code kms-agent.properties}, {@code node-N.properties},
 * {@code gateway.properties}) with ports chosen free now and fixed from then on (Raft peers store
 * each other's addresses), and the HTTPS admin API's policy granting the {@code admin} certificate
 * every operation ({@code admin-policy.conf}, ADR 0041). Paths in the files are relative to DIR. Refuses a directory that already
 * holds config files. Prints file names, never key material.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
    description = "Write certificates, key files and one config file per process for a new cluster.")
public final class InitCommand implements Callable<Integer> {
  static final String KMS = "kms-agent";
  static final String GATEWAY = "gateway";
  static final String ADMIN_POLICY = "admin-policy.conf";

  @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory for the cluster's files.")
  Path dir;

  @Option(names = "--nodes", defaultValue = "3", description = "Storage nodes (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address every process binds (default: ${DEFAULT-VALUE}; certificates cover 127.0.0.1 and localhost).")
  String host;

  @Option(names = "--blob-port", defaultValue = "10000",
      description = "Gateway Blob port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int blobPort;

  @Option(names = "--partitions", defaultValue = "16", description = "Metadata partitions, fixed (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--account", defaultValue = "devstoreaccount1",
      description = "Account created with two random keys (default: ${DEFAULT-VALUE}).")
  String account;

  @Option(names = "--require-infrastructure-encryption",
      description = "Create the account with infrastructure (double) encryption: the nodes keep every chunk of "
          + "the account sealed again under their own service-managed key (Azure's requireInfrastructureEncryption; "
          + "chosen at creation only, ADR 0032).")
  boolean requireInfrastructureEncryption;

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || nodes > 64) {
      System.err.println("cobalt init: --nodes must be 1..64");
      return 2;
    }
    if (partitions < 1 || partitions > 1024) {
      System.err.println("cobalt init: --partitions must be 1..1024");
      return 2;
    }
    if (!account.matches("[a-z0-9]{3,24}")) {
      System.err.println("cobalt init: --account must be 3-24 lowercase letters and digits (Azure's rule)");
      return 2;
    }
    Path d = dir.toAbsolutePath().normalize();
    Files.createDirectories(d);
    for (Path f : configFiles(d)) {
      if (Files.exists(f)) {
        System.err.println("cobalt init: " + f + " exists: " + d + " is already initialised");
        return 2;
      }
    }
    init(d);
    System.out.println("cobalt init: cluster of " + nodes + " node(s) in " + d);
    System.out.println("  certificates: " + d.resolve("tls") + " (private keys 0600)");
    System.out.println("  master key:   " + d.resolve("kms/master.key") + " (0600; keep a copy apart from the data)");
    System.out.println("  account keys: " + d.resolve("account-keys.properties") + " (0600; account " + account
        + (requireInfrastructureEncryption ? ", requireInfrastructureEncryption" : "") + ")");
    System.out.println("  admin policy: " + d.resolve(ADMIN_POLICY) + " (cobalt admin serve --policy; grants the"
        + " admin certificate every operation)");
    System.out.println("Start, each in its own process:");
    System.out.println("  cobalt kms-agent --config " + d.resolve(KMS + ".properties"));
    for (int i = 1; i <= nodes; i++) {
      System.out.println("  cobalt node --config " + d.resolve(nodeId(i) + ".properties"));
    }
    System.out.println("  cobalt gateway --config " + d.resolve(GATEWAY + ".properties"));
    return 0;
  }

  static String nodeId(int i) {
    return "node-" + i;
  }

  private List<Path> configFiles(Path d) {
    List<Path> files = new ArrayList<>(List.of(d.resolve(KMS + ".properties"), d.resolve(GATEWAY + ".properties")));
    for (int i = 1; i <= nodes; i++) {
      files.add(d.resolve(nodeId(i) + ".properties"));
    }
    return files;
  }

  private void init(Path d) throws IOException {
    SecureRandom random = new SecureRandom();
    // "admin": the operator's certificate, for `cobalt admin cluster status --data DIR`.
    List<String> names = new ArrayList<>(List.of(KMS, GATEWAY, "admin"));
    for (int i = 1; i <= nodes; i++) {
      names.add(nodeId(i));
    }
    ClusterTls.ensure(d.resolve("tls"), "cobalt", names, random);
    Files.createDirectories(d.resolve("kms"));
    MasterKeyFile.createIfAbsent(d.resolve("kms/master.key"), random);
    Path adminPolicy = d.resolve(ADMIN_POLICY);
    if (!Files.exists(adminPolicy)) {
      // The HTTPS admin API's policy (ADR 0041): the operator's certificate may do everything.
      Files.writeString(adminPolicy, AdminPolicy.operatorPolicy("admin"), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE_NEW);
    }
    if (!Files.exists(d.resolve("account-keys.properties"))) {
      AccountKeysFile.create(d.resolve("account-keys.properties"), account, requireInfrastructureEncryption, random);
    }

    Ports ports = new Ports(host);
    int kmsPort = ports.next();
    int[] grpc = new int[nodes];
    int[] raft = new int[nodes];
    List<String> peers = new ArrayList<>();
    List<String> endpoints = new ArrayList<>();
    int[] membership = new int[nodes];
    List<String> members = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      grpc[i] = ports.next();
      raft[i] = ports.next();
      membership[i] = ports.next();
      peers.add(nodeId(i + 1) + "@" + host + ":" + raft[i]);
      endpoints.add(nodeId(i + 1) + "@" + host + ":" + grpc[i]);
      members.add(host + ":" + membership[i]);
    }
    int gatewayPort = blobPort == 0 ? ports.next() : blobPort;
    int tablePort = ports.next();
    int queuePort = ports.next();

    Map<String, String> kms = new LinkedHashMap<>();
    kms.put("bind.host", host);
    kms.put("port", Integer.toString(kmsPort));
    kms.put("data.dir", "kms");
    kms.put("master.key.file", "kms/master.key");
    kms.put("tls.dir", "tls");
    kms.put("tls.name", KMS);
    kms.put("allowed.callers", GATEWAY);
    write(d.resolve(KMS + ".properties"), "cobalt kms-agent", kms);

    for (int i = 0; i < nodes; i++) {
      Map<String, String> n = new LinkedHashMap<>();
      n.put("node.id", nodeId(i + 1));
      n.put("bind.host", host);
      n.put("grpc.port", Integer.toString(grpc[i]));
      n.put("raft.port", Integer.toString(raft[i]));
      n.put("data.dir", "nodes/" + nodeId(i + 1));
      n.put("partitions", Integer.toString(partitions));
      n.put("tls.dir", "tls");
      n.put("tls.name", nodeId(i + 1));
      n.put("peers", String.join(",", peers));
      n.put("chunk.nodes", String.join(",", endpoints));
      n.put("replication.factor", Integer.toString(Math.min(3, nodes)));
      n.put("membership.enabled", "true");
      n.put("membership.port", Integer.toString(membership[i]));
      n.put("membership.members", String.join(",", members));
      write(d.resolve(nodeId(i + 1) + ".properties"), "cobalt node " + nodeId(i + 1), n);
    }

    Map<String, String> g = new LinkedHashMap<>();
    g.put("bind.host", host);
    g.put("blob.port", Integer.toString(gatewayPort));
    g.put("table.port", Integer.toString(tablePort));
    g.put("queue.port", Integer.toString(queuePort));
    g.put("accounts.file", "account-keys.properties");
    g.put("nodes", String.join(",", endpoints));
    g.put("kms.host", host);
    g.put("kms.port", Integer.toString(kmsPort));
    g.put("tls.dir", "tls");
    g.put("tls.name", GATEWAY);
    g.put("partitions", Integer.toString(partitions));
    g.put("replication.factor", Integer.toString(Math.min(3, nodes)));
    g.put("write.quorum", Integer.toString(Math.min(2, nodes)));
    g.put("key.cache.max-entries", Integer.toString(KeyCacheConfig.DEFAULT_MAX_ENTRIES));
    g.put("key.cache.ttl.ms", Long.toString(KeyCacheConfig.DEFAULT_TTL_MILLIS));
    g.put("key.offline-grace.ms", Long.toString(KeyCacheConfig.DEFAULT_OFFLINE_GRACE_MILLIS));
    write(d.resolve(GATEWAY + ".properties"), "cobalt gateway", g);
  }

  private static void write(Path file, String role, Map<String, String> settings) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("# " + role + " — written by `cobalt init`. Relative paths are relative to this file's directory.\n");
      w.write("# Any key can be overridden by the environment: COBALT_<KEY>, dots and dashes as underscores.\n");
      w.write("# Raft and gRPC ports are part of the cluster's identity: peers store them.\n");
      for (Map.Entry<String, String> e : settings.entrySet()) {
        w.write(e.getKey() + "=" + e.getValue() + "\n");
      }
    }
  }

  /** Distinct free ports on one address, chosen now. */
  private static final class Ports {
    private final InetAddress address;
    private final Set<Integer> taken = new HashSet<>();

    Ports(String host) throws IOException {
      this.address = InetAddress.getByName(host);
    }

    int next() throws IOException {
      while (true) {
        try (ServerSocket s = new ServerSocket(0, 1, address)) {
          int p = s.getLocalPort();
          if (taken.add(p)) {
            return p;
          }
        }
      }
    }
  }
}
