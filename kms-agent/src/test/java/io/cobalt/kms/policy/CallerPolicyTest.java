package io.cobalt.kms.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.kms.audit.AuditLog;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.CallerContext;
import io.cobalt.kms.keys.KeyOperationException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallerPolicyTest {
  private static final String GATEWAY = "a1".repeat(32);
  private static final String STRANGER = "b2".repeat(32);

  @TempDir Path dir;

  @Test
  void allowsListedCallersOnlyTheDataKeyOperations() throws Exception {
    try (AuditLog audit = AuditLog.open(dir.resolve("audit.log"), "a", new byte[32], Clock.systemUTC())) {
      CallerPolicy policy = CallerPolicy.allowingDataKeys(Set.of(GATEWAY.toUpperCase()), audit, () -> 0L);
      for (KeyOperation op : CallerPolicy.DATA_KEY_OPERATIONS) {
        policy.authorize(new CallerContext(GATEWAY, "r", 0), op, "account/abc", 1, "abc");
      }
      assertFalse(policy.allows(GATEWAY, KeyOperation.ROTATE));
      assertFalse(policy.allows(GATEWAY, KeyOperation.CREATE_KEY));
      assertFalse(policy.allows(null, KeyOperation.UNWRAP));
      assertEquals(0, Files.size(audit.file()));
    }
  }

  @Test
  void deniesEveryoneElseAndAuditsEachDenial() throws Exception {
    try (AuditLog audit = AuditLog.open(dir.resolve("audit.log"), "a", new byte[32], Clock.systemUTC())) {
      CallerPolicy policy = CallerPolicy.allowingDataKeys(Set.of(GATEWAY), audit, () -> 0L);
      KeyOperationException e = assertThrows(KeyOperationException.class,
          () -> policy.authorize(new CallerContext(STRANGER, "r1", 0), KeyOperation.UNWRAP, "not a key id", 3, "abc"));
      assertEquals(KeyOperationException.Kind.PERMISSION_DENIED, e.kind());
      assertThrows(KeyOperationException.class,
          () -> policy.authorize(new CallerContext(GATEWAY, "r2", 0), KeyOperation.ROTATE, "account/abc", null, "abc"));
      List<JsonObject> lines = Files.readAllLines(audit.file()).stream().map(JsonObject::new).toList();
      assertEquals(2, lines.size());
      assertEquals(STRANGER, lines.get(0).getString("caller"));
      assertEquals("denied", lines.get(0).getString("result"));
      assertEquals(null, lines.get(0).getJsonObject("key").getString("id"));
      assertEquals("ROTATE", lines.get(1).getString("op"));
      assertEquals("account/abc", lines.get(1).getJsonObject("key").getString("id"));
    }
  }

  @Test
  void failsClosedWhenADenialCannotBeAudited() throws Exception {
    AuditLog audit = AuditLog.open(dir.resolve("audit.log"), "a", new byte[32], Clock.systemUTC());
    audit.close();
    CallerPolicy policy = CallerPolicy.allowingDataKeys(Set.of(GATEWAY), audit, () -> 0L);
    KeyOperationException e = assertThrows(KeyOperationException.class,
        () -> policy.authorize(new CallerContext(STRANGER, null, 0), KeyOperation.GENERATE_DEK, null, null, "abc"));
    assertEquals(KeyOperationException.Kind.AUDIT_UNAVAILABLE, e.kind());
  }

  @Test
  void refusesAllowedCallersThatAreNotIdentityHashes() throws Exception {
    try (AuditLog audit = AuditLog.open(dir.resolve("audit.log"), "a", new byte[32], Clock.systemUTC())) {
      assertThrows(IllegalArgumentException.class, () -> CallerPolicy.allowingDataKeys(Set.of("CN=gateway"), audit, () -> 0L));
      assertFalse(CallerPolicy.allowingDataKeys(Set.of(), audit, () -> 0L).allows(GATEWAY, KeyOperation.UNWRAP));
    }
  }

  @Test
  void grantsCoverExactIdsAndPrefixesOnlyAndManagementNeedsAnAdminGrant() throws Exception {
    try (AuditLog audit = AuditLog.open(dir.resolve("audit.log"), "a", new byte[32], Clock.systemUTC())) {
      CallerPolicy policy = CallerPolicy.of(List.of(
          CallerGrant.dataPath("app", GATEWAY, List.of("cmk/app-*", "cmk/shared")),
          CallerGrant.admin("ops", STRANGER, List.of("cmk/team-*"))), audit, () -> 0L);
      assertTrue(policy.allows(GATEWAY, KeyOperation.UNWRAP, "cmk/app-1"));
      assertTrue(policy.allows(GATEWAY, KeyOperation.REWRAP, "cmk/shared"));
      assertFalse(policy.allows(GATEWAY, KeyOperation.UNWRAP, "cmk/shared2"));
      assertFalse(policy.allows(GATEWAY, KeyOperation.UNWRAP, "account/abc"));
      assertFalse(policy.allows(GATEWAY, KeyOperation.ROTATE, "cmk/app-1"));
      assertTrue(policy.allows(STRANGER, KeyOperation.PURGE, "cmk/team-x"));
      assertFalse(policy.allows(STRANGER, KeyOperation.PURGE, "cmk/other"));
      assertThrows(IllegalArgumentException.class, () -> new CallerGrant("x", GATEWAY,
          java.util.EnumSet.of(KeyOperation.CREATE_KEY), List.of("*"), false));
      assertThrows(IllegalArgumentException.class, () -> CallerPolicy.of(List.of(
          CallerGrant.dataPath("a", GATEWAY, List.of("*")), CallerGrant.admin("b", GATEWAY, List.of("*"))), audit, () -> 0L));
      KeyOperationException e = assertThrows(KeyOperationException.class, () -> policy.authorize(
          new CallerContext(GATEWAY, "r", 0), KeyOperation.UNWRAP, "cmk/other", 2, null));
      assertEquals(KeyOperationException.Kind.PERMISSION_DENIED, e.kind());
      JsonObject line = new JsonObject(Files.readAllLines(audit.file()).get(0));
      assertEquals("cmk/other", line.getJsonObject("key").getString("id"));
      assertEquals("denied", line.getString("result"));
    }
  }
}
