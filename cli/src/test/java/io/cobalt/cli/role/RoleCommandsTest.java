package io.cobalt.cli.role;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.kms.KeyBackendConfig;
import io.cobalt.kms.backend.pkcs11.TokenSelector;
import io.cobalt.node.membership.MembershipConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code cobalt init}, the role config files, their environment overrides, validation and {@code --print-config}. */
class RoleCommandsTest {

  private static int init(Path dir, String... extra) {
    String[] args = Stream.concat(Stream.of("--dir", dir.toString(), "--blob-port", "0"), Stream.of(extra))
        .toArray(String[]::new);
    return new CommandLine(new InitCommand()).execute(args);
  }

  @Test
  void initWritesCertificatesKeyFilesAndOneConfigPerProcess(@TempDir Path dir) throws Exception {
    assertEquals(0, init(dir, "--nodes", "3"));
    for (String f : List.of("kms-agent.properties", "gateway.properties", "node-1.properties", "node-2.properties",
        "node-3.properties", "tls/ca.pem", "tls/gateway.pem", "tls/node-3.key", "tls/admin.pem", "kms/master.key",
        "account-keys.properties")) {
      assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("account-keys.properties"))));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("kms/master.key"))));

    NodeRoleConfig n2 = NodeRoleConfig.load(dir.resolve("node-2.properties"), Map.of());
    GatewayRoleConfig g = GatewayRoleConfig.load(dir.resolve("gateway.properties"), Map.of());
    KmsAgentRoleConfig k = KmsAgentRoleConfig.load(dir.resolve("kms-agent.properties"), Map.of());
    assertEquals("node-2", n2.nodeId());
    assertEquals(3, n2.peers().size());
    assertEquals(dir.resolve("nodes/node-2").toAbsolutePath().normalize(), n2.dataDir());
    assertEquals(n2.grpcPort(), g.nodes().get(1).port(), "the gateway reaches node-2 on its gRPC port");
    assertEquals(k.port(), g.kmsPort());
    assertEquals(n2.partitions(), g.partitions());
    // The runtime configurations build: certificates, account keys and the caller identity load.
    assertEquals(3, n2.toNodeConfig().peers().size());
    assertEquals(1, g.toGatewayConfig().accounts().size());
    assertTrue(g.tablePort() > 0, "init gives the gateway a Table endpoint");
    assertEquals(g.tablePort(), g.toGatewayConfig().tablePort());
    assertTrue(g.queuePort() > 0, "init gives the gateway a Queue endpoint");
    assertEquals(g.queuePort(), g.toGatewayConfig().queuePort());
    assertEquals(io.cobalt.gateway.KeyCacheConfig.defaults(), g.toGatewayConfig().keyCache(),
        "init writes the DEK cache defaults (offline grace 0: fail closed)");
    assertEquals(30_000, GatewayRoleConfig.load(dir.resolve("gateway.properties"),
        Map.of("COBALT_KEY_OFFLINE_GRACE_MS", "30000")).keyCache().offlineGraceMillis());
    assertEquals(1, k.toAgentConfig().allowedCallers().size());
    assertEquals(k.toAgentConfig().effectiveGrants().size(), KmsAgentRoleConfig.load(dir.resolve("kms-agent.properties"),
        Map.of("COBALT_ADMIN_CALLERS", "admin")).toAgentConfig().effectiveGrants().size() - 1,
        "admin.callers adds one admin grant (the chaos suite's key faults use it)");
    assertTrue(KmsAgentRoleConfig.load(dir.resolve("kms-agent.properties"), Map.of("COBALT_ADMIN_CALLERS", "admin"))
        .toAgentConfig().effectiveGrants().stream().anyMatch(io.cobalt.kms.policy.CallerGrant::admin));
  }

  @Test
  void theAgentFileOpensAPkcs11AndAKmipBackendAndNamesTheDefault(@TempDir Path dir) throws Exception {
    assertEquals(0, init(dir));
    Path file = dir.resolve("kms-agent.properties");
    Files.writeString(dir.resolve("pin"), "1234\n");
    Files.writeString(dir.resolve("libpkcs11.so"), "not loaded until first use");
    Files.writeString(file, Files.readString(file) + "pkcs11.library=libpkcs11.so\npkcs11.pin.file=pin\n"
        + "kmip.host=127.0.0.1\nkmip.port=5697\nkmip.cert.file=tls/admin.pem\nkmip.key.file=tls/admin.key\n"
        + "kmip.ca.file=tls/ca.pem\nkey.backend=kmip\n");
    KmsAgentRoleConfig k = KmsAgentRoleConfig.load(file, Map.of());
    io.cobalt.kms.KmsAgentConfig agent = k.toAgentConfig();
    assertEquals("kmip", agent.backend().name(), "key.backend picks where new keys go");
    assertEquals(List.of("pkcs11"), agent.extraBackends().stream().map(b -> b.name()).toList());
    assertTrue(k.describe().get("pkcs11.pin.file").contains("not shown"));
    assertFalse(k.describe().containsValue("1234"));

    RoleConfigException e = assertThrows(RoleConfigException.class,
        () -> KmsAgentRoleConfig.load(file, Map.of("COBALT_KEY_BACKEND", "vault")));
    assertTrue(e.getMessage().contains("key.backend vault is not configured"), e.getMessage());
  }

  @Test
  void initWritesAnAdminPolicyGrantingTheOperatorCertificateEveryOperationAndNobodyElseAnything(@TempDir Path dir)
      throws Exception {
    assertEquals(0, init(dir, "--nodes", "1"));
    io.cobalt.cli.admin.http.authz.ReloadingAdminPolicy policy = io.cobalt.cli.admin.http.authz.ReloadingAdminPolicy
        .load(dir.resolve("admin-policy.conf"), name -> io.cobalt.crypto.tls.TlsMaterial.identityOf(
            io.cobalt.crypto.tls.TlsMaterial.load(dir.resolve("tls"), name).certificate()));
    String admin = io.cobalt.crypto.tls.TlsMaterial.identityOf(
        io.cobalt.crypto.tls.TlsMaterial.load(dir.resolve("tls"), "admin").certificate());
    String gateway = io.cobalt.crypto.tls.TlsMaterial.identityOf(
        io.cobalt.crypto.tls.TlsMaterial.load(dir.resolve("tls"), "gateway").certificate());
    assertEquals(1, policy.current().grants().size());
    for (io.cobalt.cli.admin.http.authz.AdminOperation op : io.cobalt.cli.admin.http.authz.AdminOperation.values()) {
      assertTrue(policy.current().grantOf(admin).orElseThrow().allows(op, "cmk/any"), op.wireName());
    }
    assertTrue(policy.current().grantOf(gateway).isEmpty(), "deny by default");
  }

  @Test
  void thePkcs11TokenIsChosenByLabelOrByIndexNeverBoth(@TempDir Path dir) throws Exception {
    assertEquals(0, init(dir));
    Path file = dir.resolve("kms-agent.properties");
    Files.writeString(dir.resolve("pin"), "1234\n");
    Files.writeString(dir.resolve("libpkcs11.so"), "not loaded until first use");
    String base = Files.readString(file) + "pkcs11.library=libpkcs11.so\npkcs11.pin.file=pin\n";
    Files.writeString(file, base + "pkcs11.token.label=payments hsm\n");
    KmsAgentRoleConfig k = KmsAgentRoleConfig.load(file, Map.of());
    KeyBackendConfig.Pkcs11 p = (KeyBackendConfig.Pkcs11) k.toAgentConfig().extraBackends().get(0);
    assertEquals(TokenSelector.label("payments hsm"), p.config().token());
    assertEquals("payments hsm", k.describe().get("pkcs11.token.label"));
    assertFalse(k.describe().containsKey("pkcs11.slot.index"));
    assertEquals(TokenSelector.label("other"),
        ((KeyBackendConfig.Pkcs11) KmsAgentRoleConfig.load(file, Map.of("COBALT_PKCS11_TOKEN_LABEL", "other"))
            .toAgentConfig().extraBackends().get(0)).config().token(), "the environment overrides the label");

    // Both set (here one from the environment): refused, naming both settings and where each came from.
    RoleConfigException both = assertThrows(RoleConfigException.class,
        () -> KmsAgentRoleConfig.load(file, Map.of("COBALT_PKCS11_SLOT_INDEX", "1")));
    assertTrue(both.getMessage().contains("pkcs11.token.label (file) and pkcs11.slot.index (env COBALT_PKCS11_SLOT_INDEX)"
        + " are both set"), both.getMessage());
    Files.writeString(file, base + "pkcs11.token.label=" + "x".repeat(33) + "\n");
    RoleConfigException tooLong = assertThrows(RoleConfigException.class, () -> KmsAgentRoleConfig.load(file, Map.of()));
    assertTrue(tooLong.getMessage().contains("pkcs11.token.label 'xxx"), tooLong.getMessage());
    assertTrue(tooLong.getMessage().contains("1 to 32 bytes"), tooLong.getMessage());
    assertFalse(tooLong.getMessage().contains("1234"), "never the PIN: " + tooLong.getMessage());

    // Neither: slot list index 0, as before labels.
    Files.writeString(file, base);
    assertEquals(TokenSelector.slotListIndex(0),
        ((KeyBackendConfig.Pkcs11) KmsAgentRoleConfig.load(file, Map.of()).toAgentConfig()
            .extraBackends().get(0)).config().token());
  }

  @Test
  void initRefusesAnInitialisedDirectory(@TempDir Path dir) {
    assertEquals(0, init(dir));
    assertEquals(2, init(dir));
  }

  @Test
  void environmentOverridesAKeyOfTheFile(@TempDir Path dir) throws Exception {
    assertEquals(0, init(dir));
    NodeRoleConfig fromFile = NodeRoleConfig.load(dir.resolve("node-1.properties"), Map.of());
    NodeRoleConfig overridden = NodeRoleConfig.load(dir.resolve("node-1.properties"),
        Map.of("COBALT_DATA_DIR", "/srv/cobalt/n1", "COBALT_LEADER_WAIT_MILLIS", "5000"));
    assertEquals(Path.of("/srv/cobalt/n1"), overridden.dataDir());
    assertEquals(5000, overridden.leaderWaitMillis());
    assertEquals(fromFile.grpcPort(), overridden.grpcPort());
    assertEquals("COBALT_KMS_PORT", RoleConfigSource.envName("kms.port"));
    // The grace period before an absent node's voters are replaced: seconds, 10 minutes by default.
    assertEquals(600_000, fromFile.placement().replaceAfterMillis());
    assertEquals(45_000, NodeRoleConfig.load(dir.resolve("node-1.properties"),
        Map.of("COBALT_PLACEMENT_REPLACE_AFTER", "45")).placement().replaceAfterMillis());
    assertEquals("COBALT_PLACEMENT_REPLACE_AFTER", RoleConfigSource.envName("placement.replace-after"));
    // The bound of each Raft admin call of the placement controller (ADR 0037): seconds, 20 by default.
    assertEquals(20_000, fromFile.placement().adminCallTimeoutMillis());
    assertEquals(15_000, NodeRoleConfig.load(dir.resolve("node-1.properties"),
        Map.of("COBALT_PLACEMENT_ADMIN_CALL_TIMEOUT", "15")).placement().adminCallTimeoutMillis());
  }

  @Test
  void aJoiningNodeListsTheClusterAsPeersWithoutItself(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("node-4.properties");
    Files.writeString(f, "node.id=node-4\ngrpc.port=7104\nraft.port=7204\ndata.dir=" + dir.resolve("d4") + "\n"
        + "peers=node-1@127.0.0.1:7201,node-2@127.0.0.1:7202,node-3@127.0.0.1:7203\njoin=true\n"
        + "membership.enabled=true\nmembership.members=127.0.0.1:5701,127.0.0.1:5704\nmembership.port=5704\n"
        + "placement.rebalance-interval=10\n");
    NodeRoleConfig c = NodeRoleConfig.load(f, Map.of());
    assertEquals(3, c.peers().size());
    assertEquals(10_000, c.placement().rebalanceIntervalMillis());
    assertEquals("true", c.describe().get("join"));
    // Without join=true, a node missing from peers is a configuration error; with it, listing itself is one.
    Files.writeString(f, Files.readString(f).replace("join=true", "join=false"));
    assertTrue(assertThrows(RoleConfigException.class, () -> NodeRoleConfig.load(f, Map.of())).getMessage()
        .contains("peers must list this node"));
    Files.writeString(f, Files.readString(f).replace("join=false", "join=true")
        .replace("node-3@127.0.0.1:7203", "node-4@127.0.0.1:7204"));
    assertTrue(assertThrows(RoleConfigException.class, () -> NodeRoleConfig.load(f, Map.of())).getMessage()
        .contains("peers must not list this node"));
  }

  @Test
  void theChaosClustersJoiningNodeConfigLoadsAsAJoiningNodeWithTheConfiguredNodesAsSeeds(@TempDir Path dir)
      throws Exception {
    assertEquals(0, init(dir, "--nodes", "3"));
    Files.writeString(dir.resolve("node-1.properties"), "\nplacement.rebalance-interval=10\n",
        java.nio.file.StandardOpenOption.APPEND);
    Path f = ProcessCluster.writeJoiningNodeConfig(dir, "node-4");
    assertTrue(Files.isRegularFile(dir.resolve("tls/node-4.pem")) && Files.isRegularFile(dir.resolve("tls/node-4.key")),
        "a certificate from the cluster CA");
    NodeRoleConfig c = NodeRoleConfig.load(f, Map.of());
    NodeRoleConfig n1 = NodeRoleConfig.load(dir.resolve("node-1.properties"), Map.of());
    assertEquals("node-4", c.nodeId());
    assertEquals("true", c.describe().get("join"));
    assertEquals(n1.peers(), c.peers(), "the configured nodes are its seeds");
    assertFalse(c.healing().enabled(), "no chunk.nodes on a joining node (ADR 0029)");
    assertEquals(dir.resolve("nodes/node-4").toAbsolutePath().normalize(), c.dataDir());
    assertEquals(10_000, c.placement().rebalanceIntervalMillis(), "node-1's settings carried over");
    assertEquals(n1.partitions(), c.partitions());
    List<Integer> ports = List.of(c.grpcPort(), c.raftPort(), c.membership().port());
    assertEquals(3, ports.stream().distinct().count());
    for (String other : List.of("node-1", "node-2", "node-3")) {
      NodeRoleConfig o = NodeRoleConfig.load(dir.resolve(other + ".properties"), Map.of());
      assertFalse(ports.contains(o.grpcPort()) || ports.contains(o.raftPort()) || ports.contains(o.membership().port()),
          "fresh ports");
    }
    Properties seed = new Properties();
    try (var in = Files.newInputStream(dir.resolve("node-1.properties"))) {
      seed.load(in);
    }
    Properties joining = new Properties();
    try (var in = Files.newInputStream(f)) {
      joining.load(in);
    }
    assertEquals(seed.getProperty("membership.members") + ",127.0.0.1:" + c.membership().port(),
        joining.getProperty("membership.members"), "the others' Hazelcast members plus its own");
    assertEquals(null, joining.getProperty("chunk.nodes"));
    assertEquals(null, joining.getProperty("replication.factor"));
  }

  @Test
  void rejectsAnInvalidFileListingEveryProblem(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("node.properties");
    Files.writeString(f, "node.id=node-1\ngrpc.port=70000\nraft.port=abc\npeers=node-2@127.0.0.1:5000,broken\n"
        + "grcp.port=1\n");
    RoleConfigException e = assertThrows(RoleConfigException.class, () -> NodeRoleConfig.load(f, Map.of()));
    String m = e.getMessage();
    for (String expected : List.of("grpc.port must be in [1, 65535], was 70000", "raft.port must be an integer",
        "missing required key 'data.dir' (or COBALT_DATA_DIR)", "'broken' is not id@host:port",
        "unknown key 'grcp.port'")) {
      assertTrue(m.contains(expected), "'" + expected + "' in:\n" + m);
    }
  }

  @Test
  void initEnablesMembershipAndTheNodeConfigCarriesIt(@TempDir Path dir) throws Exception {
    assertEquals(0, init(dir, "--nodes", "3"));
    NodeRoleConfig n1 = NodeRoleConfig.load(dir.resolve("node-1.properties"), Map.of());
    assertTrue(n1.toNodeConfig().hasMembership());
    assertEquals(3, ((MembershipConfig.Join.TcpIp) n1.membership().join()).members().size());
    // Off by environment; Kubernetes DNS join by environment.
    assertFalse(NodeRoleConfig.load(dir.resolve("node-1.properties"), Map.of("COBALT_MEMBERSHIP_ENABLED", "false"))
        .toNodeConfig().hasMembership());
    NodeRoleConfig k8s = NodeRoleConfig.load(dir.resolve("node-1.properties"), Map.of("COBALT_MEMBERSHIP_JOIN",
        "kubernetes-dns", "COBALT_MEMBERSHIP_SERVICE_DNS", "cobalt-nodes.storage.svc.cluster.local",
        "COBALT_MEMBERSHIP_PUBLIC_HOST", "10.1.2.3"));
    assertEquals("10.1.2.3", k8s.membership().publicHost());
    assertTrue(k8s.membership().join() instanceof MembershipConfig.Join.KubernetesDns);
    for (Map<String, String> bad : List.of(Map.of("COBALT_MEMBERSHIP_ENABLED", "yes"),
        Map.of("COBALT_MEMBERSHIP_JOIN", "multicast"),
        Map.of("COBALT_MEMBERSHIP_JOIN", "kubernetes-dns"),
        Map.of("COBALT_MEMBERSHIP_MEMBERS", ""),
        Map.of("COBALT_MEMBERSHIP_ZONE", "no spaces please"))) {
      RoleConfigException e = assertThrows(RoleConfigException.class,
          () -> NodeRoleConfig.load(dir.resolve("node-1.properties"), bad), bad.toString());
      assertTrue(e.getMessage().contains("membership"), e.getMessage());
    }
  }

  @Test
  void rejectsPeersThatOmitThisNode(@TempDir Path dir) throws Exception {
    assertEquals(0, init(dir));
    RoleConfigException e = assertThrows(RoleConfigException.class, () -> NodeRoleConfig.load(
        dir.resolve("node-1.properties"), Map.of("COBALT_PEERS", "node-2@127.0.0.1:5000,node-3@127.0.0.1:5001")));
    assertTrue(e.getMessage().contains("peers must list this node as node-1@"), e.getMessage());
  }

  @Test
  void gatewayRefusesAnAccountKeysFileReadableByOthers(@TempDir Path dir) throws Exception {
    assertEquals(0, init(dir));
    Files.setPosixFilePermissions(dir.resolve("account-keys.properties"), PosixFilePermissions.fromString("rw-r--r--"));
    GatewayRoleConfig g = GatewayRoleConfig.load(dir.resolve("gateway.properties"), Map.of());
    RoleConfigException e = assertThrows(RoleConfigException.class, g::toGatewayConfig);
    assertTrue(e.getMessage().contains("readable by group or others"), e.getMessage());
  }

  @Test
  void initCreatesAnAccountWithInfrastructureEncryptionWhenAsked(@TempDir Path dir) throws Exception {
    assertEquals(0, init(dir.resolve("on"), "--account", "double", "--require-infrastructure-encryption"));
    GatewayRoleConfig on = GatewayRoleConfig.load(dir.resolve("on/gateway.properties"), Map.of());
    assertTrue(on.toGatewayConfig().accounts().get(0).requireInfrastructureEncryption());
    assertEquals(0, init(dir.resolve("off")));
    GatewayRoleConfig off = GatewayRoleConfig.load(dir.resolve("off/gateway.properties"), Map.of());
    assertFalse(off.toGatewayConfig().accounts().get(0).requireInfrastructureEncryption());

    Path file = dir.resolve("on/account-keys.properties");
    Files.writeString(file, Files.readString(file).replace("double.requireInfrastructureEncryption=true",
        "double.requireInfrastructureEncryption=yes"));
    RoleConfigException e = assertThrows(RoleConfigException.class, on::toGatewayConfig);
    assertTrue(e.getMessage().contains("must be true or false"), e.getMessage());
  }

  @Test
  void printConfigShowsEffectiveSettingsButNoKeyMaterial(@TempDir Path dir) throws Exception {
    assertEquals(0, init(dir));
    Properties accounts = new Properties();
    try (var in = Files.newInputStream(dir.resolve("account-keys.properties"))) {
      accounts.load(in);
    }
    byte[] master = Files.readAllBytes(dir.resolve("kms/master.key"));
    String caKey = Files.readString(dir.resolve("tls/ca.key"));

    String gateway = printConfig(new GatewayCommand(), dir.resolve("gateway.properties"), Map.of("COBALT_BLOB_PORT", "18080"));
    String kms = printConfig(new KmsAgentCommand(), dir.resolve("kms-agent.properties"), Map.of());
    String node = printConfig(new NodeCommand(), dir.resolve("node-1.properties"), Map.of());
    assertTrue(gateway.contains("blob.port = 18080"), gateway);
    assertTrue(gateway.contains("accounts.file = ") && gateway.contains("contents not shown"), gateway);
    assertTrue(kms.contains("master.key.file = "), kms);
    assertTrue(node.contains("node.id = node-1"), node);
    for (String out : List.of(gateway, kms, node)) {
      for (String key : accounts.stringPropertyNames()) {
        String value = accounts.getProperty(key);
        assertFalse(out.contains(value) || out.contains(value.substring(0, 16)), "account key printed:\n" + out);
      }
      assertFalse(out.contains(Base64.getEncoder().encodeToString(master)), out);
      assertFalse(out.contains(HexFormat.of().formatHex(master)), out);
      assertFalse(out.contains("PRIVATE KEY") || out.contains(caKey.lines().skip(1).findFirst().orElseThrow()), out);
    }
  }

  private static String printConfig(Object command, Path file, Map<String, String> env) {
    if (command instanceof GatewayCommand g) {
      g.env = env;
    } else if (command instanceof KmsAgentCommand k) {
      k.env = env;
    } else if (command instanceof NodeCommand n) {
      n.env = env;
    }
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, new CommandLine(command).execute("--config", file.toString(), "--print-config"));
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aRoleWithABadConfigExitsWithStatus2AndSaysWhy(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("gateway.properties");
    Files.writeString(f, "blob.port=1\nkms.port=2\nnodes=node-1@127.0.0.1:3\nreplication.factor=1\nwrite.quorum=1\n");
    // accounts.file defaults to account-keys.properties beside the config file, which does not exist
    PrintStream old = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      GatewayCommand g = new GatewayCommand();
      g.env = Map.of();
      assertEquals(2, new CommandLine(g).execute("--config", f.toString()));
    } finally {
      System.setErr(old);
    }
    assertTrue(buf.toString(StandardCharsets.UTF_8).contains("accounts.file " + dir.resolve("account-keys.properties")
        + " does not exist"), buf.toString(StandardCharsets.UTF_8));
  }
}
