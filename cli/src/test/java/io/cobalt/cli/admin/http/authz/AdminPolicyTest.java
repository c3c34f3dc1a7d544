package io.cobalt.cli.admin.http.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminPolicyTest {
  private static final String READER = "a".repeat(64);
  private static final String OPERATOR = "b".repeat(64);
  private static final String TEAM = "c".repeat(64);
  private static final String STRANGER = "d".repeat(64);
  private static final Map<String, String> CERTS = Map.of("operator", OPERATOR);
  private static final AdminPolicy.CertificateIdentities RESOLVER = name -> {
    String id = CERTS.get(name);
    if (id == null) {
      throw new IOException("no such file");
    }
    return id;
  };

  @TempDir Path dir;

  private static AdminPolicy parse(String text) throws AdminPolicyException {
    return AdminPolicy.parse("policy.conf", text, RESOLVER);
  }

  private static String refusal(String text) {
    return assertThrows(AdminPolicyException.class, () -> parse(text)).getMessage();
  }

  @Test
  void grantsOnlyWhatTheFileNamesAndDeniesEverythingElse() throws Exception {
    AdminPolicy p = parse("""
        # comment line
        grant reader identity=%s operations=read   # trailing comment
        grant operator cert=operator operations=*
        grant team-a identity=%s operations=keys.rotate,jobs keys=cmk/team-a-*,account/acme*
        """.formatted(READER, TEAM));
    AdminGrant reader = p.grantOf(READER).orElseThrow();
    assertEquals(AdminOperation.READ, reader.operations());
    assertTrue(reader.allows(AdminOperation.KEYS_READ, "cmk/anything"));
    assertTrue(reader.allows(AdminOperation.AUDIT_VERIFY, null));
    for (AdminOperation op : EnumSet.complementOf(EnumSet.copyOf(AdminOperation.READ))) {
      assertFalse(reader.allows(op, "cmk/anything"), op.wireName());
      assertFalse(reader.allows(op, null), op.wireName());
    }

    AdminGrant operator = p.grantOf(OPERATOR).orElseThrow();
    assertEquals(EnumSet.allOf(AdminOperation.class), EnumSet.copyOf(operator.operations()));
    assertEquals(List.of("*"), operator.keys());

    AdminGrant team = p.grantOf(TEAM).orElseThrow();
    assertEquals(Set.of(AdminOperation.KEYS_ROTATE, AdminOperation.JOBS_READ, AdminOperation.JOBS_REWRAP),
        team.operations());
    assertTrue(team.allows(AdminOperation.KEYS_ROTATE, "cmk/team-a-payments"));
    assertFalse(team.allows(AdminOperation.KEYS_ROTATE, "cmk/team-b-payments"));
    assertFalse(team.allows(AdminOperation.KEYS_CREATE, "cmk/team-a-payments"));
    assertTrue(team.allows(AdminOperation.JOBS_REWRAP, "account/acme/scope/ledger"));
    assertFalse(team.allows(AdminOperation.JOBS_REWRAP, "account/other"));

    assertTrue(p.grantOf(STRANGER).isEmpty());
    assertTrue(p.grantOf(null).isEmpty());
  }

  @Test
  void anEmptyFileGrantsNobodyAnything() throws Exception {
    AdminPolicy p = parse("# nobody yet\n\n");
    assertTrue(p.grants().isEmpty());
    assertTrue(p.grantOf(OPERATOR).isEmpty());
  }

  @Test
  void identitiesAreMatchedLowercased() throws Exception {
    AdminPolicy p = parse("grant reader identity=" + "A".repeat(64) + " operations=read\n");
    assertTrue(p.grantOf(READER).isPresent());
  }

  @Test
  void refusesParseErrorsWithTheirLineNumber() {
    String ok = "grant reader identity=" + READER + " operations=read\n";
    assertEquals("policy.conf line 2: unknown operation \"keys.fly\" (operations: keys.read, keys.create,"
        + " keys.rotate, keys.disable, keys.enable, keys.delete, keys.import, key-sources.read, key-sources.set,"
        + " jobs.read, jobs.rewrap, audit.verify; groups: read, keys, key-sources, jobs, *)",
        refusal(ok + "grant op identity=" + OPERATOR + " operations=keys.fly\n"));
    assertTrue(refusal("\n\nallow reader\n").startsWith("policy.conf line 3: a line starts with \"grant\""));
    assertTrue(refusal(ok + "grant op identity=" + OPERATOR + "\n")
        .startsWith("policy.conf line 2: grant op needs operations="));
    assertTrue(refusal("grant op operations=*\n").startsWith("policy.conf line 1: grant op needs identity=HEX"));
    assertTrue(refusal("grant op identity=1234 operations=*\n")
        .startsWith("policy.conf line 1: grant op: identity must be a hex SHA-256"));
    assertTrue(refusal("grant op identity=" + OPERATOR + " operations=* keys=cmk/a b\n")
        .startsWith("policy.conf line 1: expected key=value"));
    assertTrue(refusal("grant op identity=" + OPERATOR + " operations=* keys=cmk/*/x\n")
        .startsWith("policy.conf line 1: grant op: key pattern cmk/*/x"));
    assertTrue(refusal("grant op identity=" + OPERATOR + " operations=* colour=blue\n")
        .startsWith("policy.conf line 1: unknown setting \"colour\""));
    assertTrue(refusal("grant op cert=nobody operations=*\n")
        .startsWith("policy.conf line 1: cannot read certificate nobody.pem"));
    assertTrue(refusal("grant op cert=../../etc/x operations=*\n")
        .startsWith("policy.conf line 1: cert= names a certificate file"));
    assertEquals("policy.conf line 3: this identity already has a grant (line 1); one grant per identity",
        refusal(ok + "\ngrant again identity=" + READER + " operations=*\n"));
    assertEquals("policy.conf line 2: grant name reader is already used (line 1)",
        refusal(ok + "grant reader identity=" + OPERATOR + " operations=*\n"));
    assertTrue(refusal("grant op identity=" + OPERATOR + " cert=operator operations=*\n")
        .startsWith("policy.conf line 1: give identity= or cert= once"));
  }

  @Test
  void refusalsDoNotEchoTheIdentity() {
    String secretish = "x".repeat(40);
    String message = refusal("grant op identity=" + OPERATOR + " operations=* " + secretish + "\n");
    assertFalse(message.contains(OPERATOR), message);
  }

  @Test
  void theOperatorPolicyOfCobaltInitGrantsItsCertificateEverything() throws Exception {
    AdminPolicy p = parse(AdminPolicy.operatorPolicy("operator"));
    assertEquals(1, p.grants().size());
    AdminGrant g = p.grantOf(OPERATOR).orElseThrow();
    for (AdminOperation op : AdminOperation.values()) {
      assertTrue(g.allows(op, "cmk/any"), op.wireName());
    }
  }

  @Test
  void reloadsAGrantAddedToTheFileAndKeepsTheOldPolicyWhenTheNewOneIsBroken() throws Exception {
    Path file = dir.resolve("admin-policy.conf");
    Files.writeString(file, "grant reader identity=" + READER + " operations=read\n");
    ReloadingAdminPolicy policy = ReloadingAdminPolicy.load(file, RESOLVER);
    assertFalse(policy.current().grantOf(READER).orElseThrow().allows(AdminOperation.KEYS_ROTATE, "cmk/a"));
    assertFalse(policy.reloadIfChanged(), "unchanged file");

    Files.writeString(file, "grant reader identity=" + READER + " operations=read,keys.rotate\n");
    assertTrue(policy.reloadIfChanged());
    assertTrue(policy.current().grantOf(READER).orElseThrow().allows(AdminOperation.KEYS_ROTATE, "cmk/a"));

    Files.writeString(file, "grant reader identity=" + READER + " operations=everything\n");
    assertFalse(policy.reloadIfChanged(), "a broken file is not put in force");
    assertTrue(policy.current().grantOf(READER).orElseThrow().allows(AdminOperation.KEYS_ROTATE, "cmk/a"));

    Files.delete(file);
    assertFalse(policy.reloadIfChanged(), "a missing file is not put in force");
    assertTrue(policy.current().grantOf(READER).isPresent());

    Files.writeString(file, "# everyone removed\n");
    assertTrue(policy.reloadIfChanged());
    assertTrue(policy.current().grantOf(READER).isEmpty());
  }

  @Test
  void refusesABrokenFileAtStart() throws Exception {
    Path file = dir.resolve("admin-policy.conf");
    Files.writeString(file, "grant reader identity=" + READER + " operations=read\ngrant x\n");
    AdminPolicyException e = assertThrows(AdminPolicyException.class, () -> ReloadingAdminPolicy.load(file, RESOLVER));
    assertTrue(e.getMessage().startsWith(file + " line 2: grant x needs identity"), e.getMessage());
  }
}
