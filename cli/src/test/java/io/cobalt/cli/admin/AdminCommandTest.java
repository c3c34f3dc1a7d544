package io.cobalt.cli.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.tls.ClusterTls;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.KmsAgentConfig;
import io.cobalt.kms.KmsAgentServer;
import io.cobalt.kms.MasterKeyFile;
import io.cobalt.kms.audit.AuditEvent;
import io.cobalt.kms.audit.AuditLog;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.policy.CallerGrant;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code cobalt admin} as an operator runs it: against a real kms-agent over mTLS, and on real audit logs. */
class AdminCommandTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  @TempDir static Path shared;
  private static Path tlsDir;
  private static KmsAgentServer agent;

  @TempDir Path dir;

  /** What one command run printed, and its exit code. */
  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void startAgent() throws Exception {
    tlsDir = shared.resolve("tls");
    ClusterTls.ensure(tlsDir, "test", List.of("kms-agent", "gateway", "admin"), RANDOM);
    Path masterKey = shared.resolve("master.key");
    MasterKeyFile.createIfAbsent(masterKey, RANDOM);
    String admin = TlsMaterial.identityOf(TlsMaterial.load(tlsDir, "admin").certificate());
    String gateway = TlsMaterial.identityOf(TlsMaterial.load(tlsDir, "gateway").certificate());
    agent = KmsAgentServer.start(KmsAgentConfig.withTlsFrom(shared.resolve("kms"), masterKey, "127.0.0.1", 0, tlsDir,
        "kms-agent", Set.of(gateway)).withGrants(List.of(CallerGrant.admin("admin", admin, List.of("cmk/*")))));
  }

  @AfterAll
  static void stopAgent() {
    agent.close();
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = AdminCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private static Run keys(String... args) {
    List<String> all = new ArrayList<>(List.of("keys"));
    all.addAll(List.of(args));
    all.addAll(List.of("--kms", "127.0.0.1:" + agent.port(), "--tls-dir", tlsDir.toString()));
    return run(all.toArray(new String[0]));
  }

  @Test
  void auditVerifyPassesAnIntactLogAndNamesTheLineOfATamperedOne() throws Exception {
    Path log = dir.resolve("audit.log");
    try (AuditLog audit = AuditLog.open(log, "agent", new byte[32], Clock.systemUTC())) {
      for (int i = 0; i < 4; i++) {
        audit.append(new AuditEvent("r" + i, "a1".repeat(32), KeyOperation.UNWRAP, "account/acct1", 1,
            AuditEvent.Outcome.OK, "OK", 1000, "acct1"));
      }
    }
    Run ok = run("audit", "verify", log.toString());
    assertEquals(0, ok.exit(), ok.err());
    assertTrue(ok.out().contains("intact: 4 records"), ok.out());

    List<String> lines = new ArrayList<>(Files.readAllLines(log));
    lines.set(1, lines.get(1).replace("\"r1\"", "\"rX\""));
    Path tampered = dir.resolve("tampered.log");
    Files.write(tampered, lines);
    Run bad = run("audit", "verify", tampered.toString());
    assertEquals(1, bad.exit());
    assertTrue(bad.err().startsWith("TAMPERED: line 3: prevHash does not match"), bad.err());
    assertEquals(1, bad.err().strip().lines().count(), "one line");

    lines.remove(2);
    Files.write(tampered, lines);
    Run deleted = run("audit", "verify", tampered.toString());
    assertEquals(1, deleted.exit());
    assertTrue(deleted.err().contains("line 3: seq is 4, expected 3"), deleted.err());

    assertEquals(1, run("audit", "verify", dir.resolve("absent.log").toString()).exit());
  }

  @Test
  void managesTheKeyLifecycleWithReadableTables() throws Exception {
    Run created = keys("create", "cmk/payroll");
    assertEquals(0, created.exit(), created.err());
    assertTrue(created.out().contains("key:                     cmk/payroll"), created.out());
    assertTrue(created.out().contains("v1 *     ENABLED"), created.out());

    Run rotated = keys("rotate", "cmk/payroll");
    assertEquals(0, rotated.exit(), rotated.err());
    assertTrue(rotated.out().startsWith("rotated cmk/payroll to v2"), rotated.out());

    Run disabled = keys("disable", "cmk/payroll", "--version", "1");
    assertEquals(0, disabled.exit(), disabled.err());
    assertTrue(disabled.out().contains("v1       DISABLED"), disabled.out());
    assertEquals(0, keys("enable", "cmk/payroll", "--version", "1").exit());

    Run rotation = keys("set-rotation", "cmk/payroll", "--period", "90d");
    assertEquals(0, rotation.exit(), rotation.err());
    assertTrue(rotation.out().contains("rotation:                90d, next "), rotation.out());

    Run described = keys("describe", "cmk/payroll");
    assertEquals(0, described.exit(), described.err());
    assertTrue(described.out().contains("v2 *     ENABLED"), described.out());
    assertTrue(described.out().contains("v1       ENABLED"), described.out());

    Path material = dir.resolve("key.bin");
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    Files.write(material, raw);
    Run imported = keys("import", "cmk/byok", "--material", material.toString());
    assertEquals(0, imported.exit(), imported.err());
    assertTrue(imported.out().contains("imported (BYOK):         yes"), imported.out());

    Run list = keys("list");
    assertEquals(0, list.exit(), list.err());
    List<String> rows = list.out().lines().toList();
    assertEquals("KEY          BACKEND  PRIMARY  VERSIONS  MIN-DECRYPT  ROTATION  STATE", rows.get(0));
    assertTrue(rows.get(1).matches("cmk/byok +local +v1 +1 +v1 +off +active"), rows.get(1));
    assertTrue(rows.get(2).matches("cmk/payroll +local +v2 +2 +v1 +90d +active"), rows.get(2));
    assertEquals(3, rows.size());
  }

  @Test
  void reportsRefusalsAsOneClearLineWithANonZeroExit() throws Exception {
    Run unknown = keys("rotate", "cmk/nothing-here");
    assertEquals(1, unknown.exit());
    assertEquals("error: no key cmk/nothing-here (UNKNOWN_KEY)", unknown.err().strip());

    Run notAdmin = keys("create", "cmk/x", "--identity", "gateway");
    assertEquals(1, notAdmin.exit());
    assertEquals("error: caller is not allowed to CREATE_KEY on cmk/x (PERMISSION_DENIED)", notAdmin.err().strip());

    Run outside = keys("create", "account/acct1");
    assertEquals(1, outside.exit(), "the admin grant covers cmk/* only");
    assertTrue(outside.err().contains("PERMISSION_DENIED"), outside.err());

    Run badPeriod = keys("set-rotation", "cmk/x", "--period", "soon");
    assertEquals(1, badPeriod.exit());
    assertTrue(badPeriod.err().startsWith("error: --period must look like"), badPeriod.err());

    Path shortKey = dir.resolve("short.bin");
    Files.write(shortKey, new byte[16]);
    Run badImport = keys("import", "cmk/short", "--material", shortKey.toString());
    assertEquals(1, badImport.exit());
    assertTrue(badImport.err().contains("must hold exactly 32 raw bytes"), badImport.err());

    Run noCert = keys("list", "--identity", "nobody");
    assertEquals(1, noCert.exit());
    assertTrue(noCert.err().startsWith("error: cannot load nobody.pem"), noCert.err());

    Run down = run("keys", "list", "--kms", "127.0.0.1:1", "--tls-dir", tlsDir.toString());
    assertEquals(1, down.exit());
    assertTrue(down.err().startsWith("error: kms-agent at 127.0.0.1:1 is unreachable"), down.err());
    assertEquals(1, down.err().strip().lines().count());

    assertEquals(2, run("keys", "disable", "cmk/x").exit(), "usage error: --version and --kms are required");
    assertFalse(keys("describe", "cmk/none").err().isEmpty());
  }

  @Test
  void clusterReadmitNeedsANodeIdAndSaysWhenNoNodeCommittedIt() throws Exception {
    assertEquals(2, run("cluster", "readmit", "--node", "127.0.0.1:1", "--tls-dir", tlsDir.toString()).exit(),
        "usage error: NODE_ID is required");
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Run r = run("cluster", "readmit", "node-3", "--node", "node-1@127.0.0.1:" + closedPort, "--tls-dir",
        tlsDir.toString(), "--timeout-ms", "2000");
    assertEquals(1, r.exit(), r.out() + r.err());
    assertTrue(r.err().contains("node-1: ") && r.err().contains("no node re-admitted node-3"), r.err());
  }

  @Test
  void serveRefusesAPolicyFileThatDoesNotParseNamingTheLine() throws Exception {
    Path policy = dir.resolve("admin-policy.conf");
    Files.writeString(policy, "grant operator cert=admin operations=*\ngrant reader cert=admin operations=read\n");
    Run r = run("serve", "--kms", "127.0.0.1:" + agent.port(), "--tls-dir", tlsDir.toString(), "--jobs-dir",
        dir.resolve("jobs").toString(), "--listen", "127.0.0.1:0", "--policy", policy.toString());
    assertEquals(2, r.exit(), r.out() + r.err());
    assertTrue(r.err().contains(policy + " line 2: this identity already has a grant (line 1)"), r.err());
  }

  @Test
  void serveWithAPolicyRefusesTheAllowListShorthands() throws Exception {
    Path policy = dir.resolve("admin-policy.conf");
    Files.writeString(policy, "grant operator cert=admin operations=*\n");
    Run r = run("serve", "--kms", "127.0.0.1:" + agent.port(), "--tls-dir", tlsDir.toString(), "--jobs-dir",
        dir.resolve("jobs").toString(), "--listen", "127.0.0.1:0", "--policy", policy.toString(), "--allow", "gateway");
    assertEquals(2, r.exit(), r.out() + r.err());
    assertTrue(r.err().contains("--allow and --allow-identity are for servers without --policy"), r.err());
  }
}
