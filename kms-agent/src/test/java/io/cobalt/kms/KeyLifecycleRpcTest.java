package io.cobalt.kms;

import static io.cobalt.kms.AgentClient.refusal;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.audit.AuditLogVerifier;
import io.cobalt.kms.audit.KeyOperation;
import io.cobalt.kms.keys.AssociatedData;
import io.cobalt.kms.lifecycle.ByokEnvelope;
import io.cobalt.kms.policy.CallerGrant;
import io.cobalt.proto.kms.v1.CreateKeyRequest;
import io.cobalt.proto.kms.v1.DekCensusCount;
import io.cobalt.proto.kms.v1.DekCensusReport;
import io.cobalt.proto.kms.v1.DekCensusRequest;
import io.cobalt.proto.kms.v1.DekCensusResponse;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import io.cobalt.proto.kms.v1.GenerateDataKeyResponse;
import io.cobalt.proto.kms.v1.GetImportKeyRequest;
import io.cobalt.proto.kms.v1.GetImportKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyRequest;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.ImportKeyRequest;
import io.cobalt.proto.kms.v1.KeyVersionInfo;
import io.cobalt.proto.kms.v1.ListKeysRequest;
import io.cobalt.proto.kms.v1.ListKeysResponse;
import io.cobalt.proto.kms.v1.PurgeKeyRequest;
import io.cobalt.proto.kms.v1.RecoverKeyRequest;
import io.cobalt.proto.kms.v1.RewrapRequest;
import io.cobalt.proto.kms.v1.RotateKeyRequest;
import io.cobalt.proto.kms.v1.ScheduleKeyDeletionRequest;
import io.cobalt.proto.kms.v1.SetKeyVersionStateRequest;
import io.cobalt.proto.kms.v1.SetMinimumDecryptionVersionRequest;
import io.cobalt.proto.kms.v1.SetRotationPolicyRequest;
import io.cobalt.proto.kms.v1.UnwrapRequest;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import io.cobalt.kms.api.KeyAgentRpcService;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key lifecycle API over mTLS against a real agent, with a fake clock and a hand-driven scheduler. */
class KeyLifecycleRpcTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static TlsMaterial agentTls;
  private static TlsMaterial gatewayTls;
  private static TlsMaterial appTls;
  private static TlsMaterial adminTls;
  private static TlsMaterial teamAdminTls;

  @TempDir Path dir;
  private FakeClock clock;
  private FakeScheduler scheduler;
  private KmsAgentServer agent;
  private AgentClient gateway;
  private AgentClient app;
  private AgentClient admin;
  private AgentClient teamAdmin;

  @BeforeAll
  static void certificates() {
    ClusterCa ca = ClusterCa.create("test", RANDOM);
    agentTls = TlsMaterial.of(ca.issue("kms-agent", List.of("localhost"), List.of("127.0.0.1")));
    gatewayTls = TlsMaterial.of(ca.issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
    appTls = TlsMaterial.of(ca.issue("app", List.of("localhost"), List.of("127.0.0.1")));
    adminTls = TlsMaterial.of(ca.issue("admin", List.of("localhost"), List.of("127.0.0.1")));
    teamAdminTls = TlsMaterial.of(ca.issue("team-admin", List.of("localhost"), List.of("127.0.0.1")));
  }

  private KmsAgentConfig config() throws IOException {
    Path masterKey = dir.resolve("secrets/master.key");
    MasterKeyFile.createIfAbsent(masterKey, RANDOM);
    return new KmsAgentConfig(dir.resolve("kms"), masterKey, "127.0.0.1", 0, agentTls,
        Set.of(id(gatewayTls)))
        .withGrants(List.of(
            CallerGrant.dataPath("app", id(appTls), List.of("cmk/*")),
            CallerGrant.admin("admin", id(adminTls), List.of("*")),
            CallerGrant.admin("team-a", id(teamAdminTls), List.of("cmk/team-a-*"))));
  }

  @BeforeEach
  void start() throws IOException {
    clock = new FakeClock(Instant.parse("2030-01-01T00:00:00Z"));
    scheduler = new FakeScheduler();
    agent = KmsAgentServer.start(config(), clock, RANDOM, System::nanoTime, scheduler);
    gateway = new AgentClient(agent.port(), gatewayTls);
    app = new AgentClient(agent.port(), appTls);
    admin = new AgentClient(agent.port(), adminTls);
    teamAdmin = new AgentClient(agent.port(), teamAdminTls);
  }

  @AfterEach
  void stop() throws Exception {
    for (AgentClient c : new AgentClient[] {gateway, app, admin, teamAdmin}) {
      c.close();
    }
    agent.close();
    scheduler.shutdownNow();
  }

  @Test
  void newDataKeysUseTheNewestEnabledVersion() {
    GetKeyResponse created = admin.admin().createKey(create("account/acct1"));
    assertEquals(1, created.getPrimaryVersion());
    assertEquals("local", created.getBackend());
    assertEquals(1, generate("acct1").getWrapped().getKeyVersion());

    GetKeyResponse rotated = admin.admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId("account/acct1").build());
    assertEquals(2, rotated.getPrimaryVersion());
    assertEquals(2, generate("acct1").getWrapped().getKeyVersion());

    GetKeyResponse v2off = admin.admin().setKeyVersionState(state("account/acct1", 2, false));
    assertEquals(1, v2off.getPrimaryVersion());
    assertEquals("DISABLED", v2off.getVersions(1).getState());
    assertEquals(1, generate("acct1").getWrapped().getKeyVersion());

    admin.admin().setKeyVersionState(state("account/acct1", 1, false));
    assertEquals("FAILED_PRECONDITION/KEY_DISABLED", refusal(() -> generate("acct1")));
    admin.admin().setKeyVersionState(state("account/acct1", 2, true));
    assertEquals(2, generate("acct1").getWrapped().getKeyVersion());

    assertEquals("ALREADY_EXISTS/KEY_EXISTS", refusal(() -> admin.admin().createKey(create("account/acct1"))));
    assertEquals("INVALID_ARGUMENT/INVALID_KEY_ID", refusal(() -> admin.admin().createKey(create("cmk/no spaces"))));
    assertEquals("INVALID_ARGUMENT/INVALID_ARGUMENT", refusal(() -> admin.admin().createKey(
        CreateKeyRequest.newBuilder().setKeyId("cmk/x").setBackend("pkcs11").build())));
    assertEquals("NOT_FOUND/UNKNOWN_KEY", refusal(() -> admin.admin().rotateKey(
        RotateKeyRequest.newBuilder().setKeyId("cmk/none").build())));
    assertEquals("FAILED_PRECONDITION/UNKNOWN_KEY_VERSION",
        refusal(() -> admin.admin().setKeyVersionState(state("account/acct1", 9, false))));
    assertEquals(List.of("CREATE_KEY", "GENERATE_DEK", "ROTATE", "GENERATE_DEK", "DISABLE", "GENERATE_DEK", "DISABLE",
        "GENERATE_DEK", "ENABLE", "GENERATE_DEK", "CREATE_KEY", "CREATE_KEY", "CREATE_KEY", "ROTATE", "DISABLE"), ops());
    JsonObject rotate = audit().get(2);
    assertEquals(id(adminTls), rotate.getString("caller"));
    assertEquals(2, rotate.getJsonObject("key").getInteger("version"));
    assertEquals("ok", rotate.getString("result"));
    assertEquals("error", audit().get(7).getString("result"));
    assertEquals("KEY_DISABLED", audit().get(7).getString("code"));
  }

  @Test
  void aDisabledVersionRefusesUnwrapWithACodeTheGatewayMapsTo403() {
    GenerateDataKeyResponse g = generate("acct1");
    admin.admin().setKeyVersionState(state("account/acct1", 1, false));
    assertEquals("FAILED_PRECONDITION/KEY_DISABLED", refusal(() -> unwrap("acct1", g.getWrapped())));
    admin.admin().setKeyVersionState(state("account/acct1", 1, true));
    assertEquals(g.getPlaintextKey(), unwrap("acct1", g.getWrapped()));
  }

  @Test
  void rewrapMovesADekToTheNewVersionAndTheOldOneUnwrapsOnlyWhileItsVersionIsEnabled() {
    GenerateDataKeyResponse g = generate("acct1");
    assertEquals(1, g.getWrapped().getKeyVersion());
    admin.admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId("account/acct1").build());

    WrappedKey moved = gateway.data().rewrap(RewrapRequest.newBuilder().setAccount("acct1")
        .setWrapped(g.getWrapped()).setRequestId("rw-1").build()).getWrapped();
    assertEquals(2, moved.getKeyVersion());
    assertEquals("account/acct1", moved.getKeyId());
    assertNotEquals(g.getWrapped().getCiphertext(), moved.getCiphertext());
    assertEquals(g.getPlaintextKey(), unwrap("acct1", moved));
    assertEquals(g.getPlaintextKey(), unwrap("acct1", g.getWrapped()), "v1 is still enabled");

    admin.admin().setKeyVersionState(state("account/acct1", 1, false));
    assertEquals("FAILED_PRECONDITION/KEY_DISABLED", refusal(() -> unwrap("acct1", g.getWrapped())));
    assertEquals("FAILED_PRECONDITION/KEY_DISABLED", refusal(() -> gateway.data().rewrap(
        RewrapRequest.newBuilder().setAccount("acct1").setWrapped(g.getWrapped()).build())));
    assertEquals(g.getPlaintextKey(), unwrap("acct1", moved));

    // Re-enabled but below the minimum decryption version: retired.
    admin.admin().setKeyVersionState(state("account/acct1", 1, true));
    GetKeyResponse min = admin.admin().setMinimumDecryptionVersion(SetMinimumDecryptionVersionRequest.newBuilder()
        .setKeyId("account/acct1").setVersion(2).setForce(true).build());
    assertEquals(2, min.getMinDecryptionVersion());
    assertEquals("RETIRED", min.getVersions(0).getState());
    assertEquals("FAILED_PRECONDITION/VERSION_RETIRED", refusal(() -> unwrap("acct1", g.getWrapped())));
    assertEquals("FAILED_PRECONDITION/VERSION_RETIRED", refusal(() -> gateway.data().rewrap(
        RewrapRequest.newBuilder().setAccount("acct1").setWrapped(g.getWrapped()).build())));
    assertEquals("INVALID_ARGUMENT/INVALID_ARGUMENT", refusal(() -> admin.admin().setMinimumDecryptionVersion(
        SetMinimumDecryptionVersionRequest.newBuilder().setKeyId("account/acct1").setVersion(3).build())));
    admin.admin().setMinimumDecryptionVersion(SetMinimumDecryptionVersionRequest.newBuilder()
        .setKeyId("account/acct1").setVersion(1).build());
    assertEquals(g.getPlaintextKey(), unwrap("acct1", g.getWrapped()), "the minimum can be lowered again");

    JsonObject rewrap = audit().stream().filter(l -> l.getString("op").equals("REWRAP")).findFirst().orElseThrow();
    assertEquals("rw-1", rewrap.getString("requestId"));
    assertEquals(2, rewrap.getJsonObject("key").getInteger("version"));
    assertEquals(3, audit().stream().filter(l -> l.getString("op").equals("REWRAP")).count());
  }

  @Test
  void aVersionThatMayStillWrapLiveDeksIsNotDisabledOrRetiredWithoutForceAndTheRefusalSaysHowMany() {
    for (int i = 0; i < 3; i++) {
      generate("acct1");
    }
    admin.admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId("account/acct1").build());
    String key = "account/acct1";

    // Never censused, and it wrapped DEKs: in use. Version 2 has wrapped none yet: free.
    StatusRuntimeException never = assertThrows(StatusRuntimeException.class,
        () -> admin.admin().setKeyVersionState(unforced(key, 1)));
    assertEquals("FAILED_PRECONDITION/VERSION_IN_USE", refusal(() -> admin.admin().setKeyVersionState(unforced(key, 1))));
    assertTrue(never.getStatus().getDescription().contains("never censused"), never.getStatus().getDescription());
    DekCensusResponse before = admin.admin().getDekCensus(DekCensusRequest.newBuilder().setKeyId(key).build());
    assertEquals(0, before.getCensusStartedEpochMillis());
    assertTrue(before.getVersions(0).getInUse());
    assertFalse(before.getVersions(1).getInUse());
    assertEquals(3, before.getVersions(0).getGeneratedSince());

    // A census that counted 3 live DEKs under version 1: refused with the count, both ways.
    clock.advance(Duration.ofMinutes(2));
    admin.admin().reportDekCensus(census(key, clock.millis(), 1, 3));
    StatusRuntimeException counted = assertThrows(StatusRuntimeException.class,
        () -> admin.admin().setKeyVersionState(unforced(key, 1)));
    assertTrue(counted.getStatus().getDescription().contains("still wraps 3 live DEKs"),
        counted.getStatus().getDescription());
    StatusRuntimeException retire = assertThrows(StatusRuntimeException.class, () -> admin.admin()
        .setMinimumDecryptionVersion(SetMinimumDecryptionVersionRequest.newBuilder().setKeyId(key).setVersion(2).build()));
    assertEquals("VERSION_IN_USE", retire.getTrailers().get(KeyAgentRpcService.CODE_TRAILER));
    assertTrue(retire.getStatus().getDescription().contains("3 live DEKs"), retire.getStatus().getDescription());
    assertEquals(1, describe(key).getMinDecryptionVersion());

    // The rewrap job's census: none left under version 1 (all 3 under 2), walked after the last
    // DEK under version 1 was made. Now retiring and disabling version 1 are allowed.
    clock.advance(Duration.ofMinutes(2));
    admin.admin().reportDekCensus(census(key, clock.millis(), 2, 3));
    assertEquals(2, admin.admin().setMinimumDecryptionVersion(SetMinimumDecryptionVersionRequest.newBuilder()
        .setKeyId(key).setVersion(2).build()).getMinDecryptionVersion());
    admin.admin().setMinimumDecryptionVersion(SetMinimumDecryptionVersionRequest.newBuilder().setKeyId(key)
        .setVersion(1).build());
    assertEquals("DISABLED", admin.admin().setKeyVersionState(unforced(key, 1)).getVersions(0).getState());

    // Version 2 wraps new DEKs after the census began: in use even though ... it was counted anyway;
    // a forced disable (emergency revocation) still goes through.
    generate("acct1");
    assertEquals("FAILED_PRECONDITION/VERSION_IN_USE", refusal(() -> admin.admin().setKeyVersionState(unforced(key, 2))));
    assertEquals("DISABLED", admin.admin().setKeyVersionState(state(key, 2, false)).getVersions(1).getState());

    // The census is durable.
    try {
      stop();
      start();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    DekCensusResponse after = admin.admin().getDekCensus(DekCensusRequest.newBuilder().setKeyId(key).build());
    assertEquals(3, after.getVersions(1).getCensusDeks());
    assertTrue(after.getCensusStartedEpochMillis() > 0);
    assertTrue(after.getVersions(1).getInUse(), "the generation after the census is remembered across restarts");
    assertFalse(after.getVersions(0).getInUse());
    assertTrue(ops().contains("REPORT_DEK_CENSUS"));
    assertEquals("INVALID_ARGUMENT/INVALID_ARGUMENT",
        refusal(() -> admin.admin().reportDekCensus(census(key, clock.millis(), 9, 1))));
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED",
        refusal(() -> gateway.admin().reportDekCensus(census(key, clock.millis(), 2, 0))));
  }

  private static SetKeyVersionStateRequest unforced(String keyId, int version) {
    return SetKeyVersionStateRequest.newBuilder().setKeyId(keyId).setVersion(version).setEnabled(false).build();
  }

  private static DekCensusReport census(String keyId, long started, int version, long count) {
    return DekCensusReport.newBuilder().setKeyId(keyId).setStartedEpochMillis(started)
        .addCounts(DekCensusCount.newBuilder().setVersion(version).setLiveDeks(count)).build();
  }

  @Test
  void softDeletedKeysRefuseUseUntilRecoveredAndPurgeProtectionHoldsUntilTheRetentionEnds() {
    GenerateDataKeyResponse g = generate("acct1");
    assertEquals("INVALID_ARGUMENT/INVALID_ARGUMENT", refusal(() -> admin.admin().scheduleKeyDeletion(
        ScheduleKeyDeletionRequest.newBuilder().setKeyId("account/acct1").setRetentionDays(3).build())));
    GetKeyResponse deleted = admin.admin().scheduleKeyDeletion(ScheduleKeyDeletionRequest.newBuilder()
        .setKeyId("account/acct1").setRetentionDays(7).setPurgeProtection(true).build());
    assertTrue(deleted.hasDeletion());
    assertEquals(clock.millis() + Duration.ofDays(7).toMillis(), deleted.getDeletion().getPurgeAfterEpochMillis());
    assertEquals(0, deleted.getPrimaryVersion());
    assertEquals("FAILED_PRECONDITION/KEY_DELETED", refusal(() -> generate("acct1")));
    assertEquals("FAILED_PRECONDITION/KEY_DELETED", refusal(() -> unwrap("acct1", g.getWrapped())));
    assertEquals("FAILED_PRECONDITION/KEY_DELETED", refusal(() -> admin.admin().rotateKey(
        RotateKeyRequest.newBuilder().setKeyId("account/acct1").build())));
    assertEquals("FAILED_PRECONDITION/PURGE_PROTECTED", refusal(() -> admin.admin().purgeKey(purge("account/acct1"))));

    assertFalse(admin.admin().recoverKey(RecoverKeyRequest.newBuilder().setKeyId("account/acct1").build()).hasDeletion());
    assertEquals(g.getPlaintextKey(), unwrap("acct1", g.getWrapped()));
    assertEquals("FAILED_PRECONDITION/INVALID_STATE_CHANGE", refusal(() -> admin.admin().purgeKey(purge("account/acct1"))));

    admin.admin().scheduleKeyDeletion(ScheduleKeyDeletionRequest.newBuilder()
        .setKeyId("account/acct1").setRetentionDays(7).setPurgeProtection(true).build());
    clock.advance(Duration.ofDays(7));
    GetKeyResponse purged = admin.admin().purgeKey(purge("account/acct1"));
    assertTrue(purged.getDeletion().getPurged());
    assertTrue(purged.getVersionsList().stream().allMatch(v -> v.getState().equals("DESTROYED")));
    assertEquals("FAILED_PRECONDITION/KEY_DELETED", refusal(() -> admin.admin().recoverKey(
        RecoverKeyRequest.newBuilder().setKeyId("account/acct1").build())));
    assertEquals("FAILED_PRECONDITION/KEY_DELETED", refusal(() -> unwrap("acct1", g.getWrapped())));
    assertEquals("ALREADY_EXISTS/KEY_EXISTS", refusal(() -> admin.admin().createKey(create("account/acct1"))));

    // Without purge protection a deleted key may be purged at once.
    admin.admin().createKey(create("cmk/scratch"));
    admin.admin().scheduleKeyDeletion(ScheduleKeyDeletionRequest.newBuilder().setKeyId("cmk/scratch").build());
    assertTrue(admin.admin().purgeKey(purge("cmk/scratch")).getDeletion().getPurged());
    assertTrue(ops().containsAll(List.of("SCHEDULE_DELETE", "RECOVER", "PURGE")));
  }

  @Test
  void rotationPolicyRotatesOnScheduleAndExpiredDeletionsArePurged() throws Exception {
    admin.admin().createKey(create("cmk/auto"));
    assertEquals("INVALID_ARGUMENT/INVALID_ARGUMENT", refusal(() -> admin.admin().setRotationPolicy(
        SetRotationPolicyRequest.newBuilder().setKeyId("cmk/auto").setRotationPeriodSeconds(60).build())));
    GetKeyResponse p = admin.admin().setRotationPolicy(SetRotationPolicyRequest.newBuilder()
        .setKeyId("cmk/auto").setRotationPeriodSeconds(Duration.ofDays(30).toSeconds()).build());
    assertEquals(clock.millis() + Duration.ofDays(30).toMillis(), p.getNextRotationEpochMillis());

    scheduler.runPeriodicTasks();
    assertEquals(1, describe("cmk/auto").getVersionsCount());
    clock.advance(Duration.ofDays(30).minusSeconds(1));
    scheduler.runPeriodicTasks();
    assertEquals(1, describe("cmk/auto").getVersionsCount());
    clock.advance(Duration.ofSeconds(1));
    scheduler.runPeriodicTasks();
    GetKeyResponse rotated = describe("cmk/auto");
    assertEquals(2, rotated.getPrimaryVersion());
    assertEquals(clock.millis() + Duration.ofDays(30).toMillis(), rotated.getNextRotationEpochMillis());
    scheduler.runPeriodicTasks();
    assertEquals(2, describe("cmk/auto").getVersionsCount(), "not due again until another period has passed");

    JsonObject auto = audit().stream().filter(l -> l.getString("op").equals("ROTATE")).findFirst().orElseThrow();
    assertEquals(id(agentTls), auto.getString("caller"));
    assertEquals("scheduled", auto.getString("requestId"));

    admin.admin().scheduleKeyDeletion(ScheduleKeyDeletionRequest.newBuilder().setKeyId("cmk/auto")
        .setRetentionDays(7).setPurgeProtection(true).build());
    clock.advance(Duration.ofDays(60));
    scheduler.runPeriodicTasks();
    GetKeyResponse gone = describe("cmk/auto");
    assertTrue(gone.getDeletion().getPurged(), "purged when the retention ended, not rotated");
    assertEquals(2, gone.getVersionsCount());
    assertEquals(0, agent.runScheduledWork(), "nothing left to do");
    assertTrue(AuditLogVerifier.verify(agent.auditFile()).intact());
  }

  @Test
  void listsOnlyTheKeysACallerMaySeeAPageAtATime() {
    for (String k : List.of("cmk/team-a-1", "cmk/team-a-2", "cmk/team-a-3", "cmk/team-b-1")) {
      admin.admin().createKey(create(k));
    }
    generate("acct1");
    ListKeysResponse all = admin.admin().listKeys(ListKeysRequest.getDefaultInstance());
    assertEquals(List.of("account/acct1", "cmk/team-a-1", "cmk/team-a-2", "cmk/team-a-3", "cmk/team-b-1"),
        all.getKeysList().stream().map(GetKeyResponse::getKeyId).toList());

    ListKeysResponse page1 = teamAdmin.admin().listKeys(ListKeysRequest.newBuilder().setPageSize(2).build());
    assertEquals(List.of("cmk/team-a-1", "cmk/team-a-2"), page1.getKeysList().stream().map(GetKeyResponse::getKeyId).toList());
    ListKeysResponse page2 = teamAdmin.admin().listKeys(ListKeysRequest.newBuilder().setPageSize(2)
        .setPageToken(page1.getNextPageToken()).build());
    assertEquals(List.of("cmk/team-a-3"), page2.getKeysList().stream().map(GetKeyResponse::getKeyId).toList());
    assertEquals("", page2.getNextPageToken());
    assertEquals(List.of("cmk/team-b-1"), admin.admin().listKeys(ListKeysRequest.newBuilder().setPrefix("cmk/team-b")
        .build()).getKeysList().stream().map(GetKeyResponse::getKeyId).toList());
    assertEquals("INVALID_ARGUMENT/INVALID_ARGUMENT", refusal(() -> admin.admin().listKeys(
        ListKeysRequest.newBuilder().setPageSize(5000).build())));
  }

  @Test
  void managementNeedsAnAdminGrantCoveringTheKeyAndEveryDenialIsAudited() {
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED", refusal(() -> gateway.admin().createKey(create("account/acct9"))));
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED", refusal(() -> gateway.admin().listKeys(ListKeysRequest.getDefaultInstance())));
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED", refusal(() -> gateway.admin().getImportKey(GetImportKeyRequest.getDefaultInstance())));
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED", refusal(() -> teamAdmin.admin().createKey(create("cmk/team-b-1"))));
    assertEquals("cmk/team-a-1", teamAdmin.admin().createKey(create("cmk/team-a-1")).getKeyId());
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED", refusal(() -> gateway.data().generateDataKey(
        GenerateDataKeyRequest.newBuilder().setAccount("acct1").setKeyId("cmk/team-a-1").build())));
    assertEquals(32, app.data().generateDataKey(GenerateDataKeyRequest.newBuilder().setAccount("acct1")
        .setKeyId("cmk/team-a-1").build()).getPlaintextKey().size());
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED", refusal(() -> app.data().generateDataKey(
        GenerateDataKeyRequest.newBuilder().setAccount("acct1").build())), "app may use cmk/* only");

    List<JsonObject> lines = audit();
    assertEquals(List.of("CREATE_KEY", "LIST_KEYS", "GET_IMPORT_KEY", "CREATE_KEY", "CREATE_KEY", "GENERATE_DEK",
        "GENERATE_DEK", "GENERATE_DEK"), ops());
    for (int i : new int[] {0, 1, 2, 3, 5, 7}) {
      assertEquals("denied", lines.get(i).getString("result"), lines.get(i).encode());
    }
    assertEquals(id(gatewayTls), lines.get(0).getString("caller"));
    assertEquals("cmk/team-b-1", lines.get(3).getJsonObject("key").getString("id"));
    assertThrows(IllegalArgumentException.class, () -> new CallerGrant("sneaky", id(appTls),
        EnumSet.of(KeyOperation.UNWRAP, KeyOperation.ROTATE), List.of("*"), false));
  }

  @Test
  void importsAByokKeyWrappedForTheAgentAndUsesItForDataKeys() throws Exception {
    GetImportKeyResponse ik = admin.admin().getImportKey(GetImportKeyRequest.getDefaultInstance());
    RSAPublicKey pub = (RSAPublicKey) KeyFactory.getInstance("RSA")
        .generatePublic(new X509EncodedKeySpec(ik.getPublicKeyDer().toByteArray()));
    assertEquals(3072, pub.getModulus().bitLength());
    assertTrue(ik.getPublicKeyPem().startsWith("-----BEGIN PUBLIC KEY-----\n"));
    assertEquals(64, ik.getFingerprint().length());

    byte[] material = new byte[32];
    RANDOM.nextBytes(material);
    byte[] envelope = ByokEnvelope.wrap(pub, material, RANDOM);
    assertEquals(384 + 40, envelope.length);
    GetKeyResponse imported = admin.admin().importKey(ImportKeyRequest.newBuilder().setKeyId("cmk/byok")
        .setWrappedMaterial(ByteString.copyFrom(envelope)).setImportKeyFingerprint(ik.getFingerprint()).build());
    assertTrue(imported.getImported());
    assertEquals(1, imported.getPrimaryVersion());

    GenerateDataKeyResponse g = app.data().generateDataKey(GenerateDataKeyRequest.newBuilder()
        .setAccount("acct1").setKeyId("cmk/byok").build());
    assertEquals("cmk/byok", g.getWrapped().getKeyId());
    assertEquals(g.getPlaintextKey(), app.data().unwrap(UnwrapRequest.newBuilder().setAccount("acct1")
        .setWrapped(g.getWrapped()).build()).getPlaintextKey());
    // The DEK really is wrapped under the customer's material: open it here with that material.
    byte[] ct = g.getWrapped().getCiphertext().toByteArray();
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(material, "AES"), new GCMParameterSpec(128, ct, 0, 12));
    gcm.updateAAD(AssociatedData.label("cobalt/dek/v1").text("acct1").text("cmk/byok").uint32(1).toBytes());
    assertArrayEquals(g.getPlaintextKey().toByteArray(), gcm.doFinal(ct, 12, ct.length - 12));

    assertEquals("ALREADY_EXISTS/KEY_EXISTS", refusal(() -> admin.admin().importKey(ImportKeyRequest.newBuilder()
        .setKeyId("cmk/byok").setWrappedMaterial(ByteString.copyFrom(envelope)).build())));
    byte[] badRsa = envelope.clone();
    badRsa[10] ^= 1;
    assertEquals("INVALID_ARGUMENT/BAD_IMPORT", refusal(() -> admin.admin().importKey(ImportKeyRequest.newBuilder()
        .setKeyId("cmk/b2").setWrappedMaterial(ByteString.copyFrom(badRsa)).build())));
    byte[] badKwp = envelope.clone();
    badKwp[400] ^= 1;
    assertEquals("INVALID_ARGUMENT/BAD_IMPORT", refusal(() -> admin.admin().importKey(ImportKeyRequest.newBuilder()
        .setKeyId("cmk/b3").setWrappedMaterial(ByteString.copyFrom(badKwp)).build())));
    byte[] shortKey = ByokEnvelope.wrap(pub, new byte[16], RANDOM);
    assertEquals("INVALID_ARGUMENT/BAD_IMPORT", refusal(() -> admin.admin().importKey(ImportKeyRequest.newBuilder()
        .setKeyId("cmk/b4").setWrappedMaterial(ByteString.copyFrom(shortKey)).build())));
    assertEquals("INVALID_ARGUMENT/BAD_IMPORT", refusal(() -> admin.admin().importKey(ImportKeyRequest.newBuilder()
        .setKeyId("cmk/b5").setWrappedMaterial(ByteString.copyFrom(envelope)).setImportKeyFingerprint("00".repeat(32)).build())));
    assertFalse(admin.admin().listKeys(ListKeysRequest.getDefaultInstance()).getKeysList().stream()
        .anyMatch(k -> k.getKeyId().startsWith("cmk/b")  && !k.getKeyId().equals("cmk/byok")));
    List<JsonObject> imports = audit().stream().filter(l -> l.getString("op").equals("IMPORT_KEY")).toList();
    assertEquals(List.of("OK", "KEY_EXISTS", "BAD_IMPORT", "BAD_IMPORT", "BAD_IMPORT", "BAD_IMPORT"),
        imports.stream().map(l -> l.getString("code")).toList());

    // The import key is the agent's: the same after a restart.
    stop();
    start();
    assertEquals(ik.getFingerprint(), admin.admin().getImportKey(GetImportKeyRequest.getDefaultInstance()).getFingerprint());
    String text = Files.readString(dir.resolve("kms/" + io.cobalt.kms.lifecycle.ImportKeyPair.FILE_NAME));
    assertFalse(text.contains("PRIVATE"), "the private key is stored only sealed");
  }

  @Test
  void getKeyShowsLifecycleStateToTheDataPath() {
    generate("acct1");
    admin.admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId("account/acct1").build());
    GetKeyResponse k = gateway.data().getKey(GetKeyRequest.newBuilder().setKeyId("account/acct1").build());
    assertEquals(List.of(1, 2), k.getVersionsList().stream().map(KeyVersionInfo::getVersion).toList());
    assertEquals(1, k.getMinDecryptionVersion());
    assertEquals(0, k.getRotationPeriodSeconds());
    assertFalse(k.hasDeletion());
  }

  private GenerateDataKeyResponse generate(String account) {
    return gateway.data().generateDataKey(GenerateDataKeyRequest.newBuilder().setAccount(account)
        .setRequestId("req-" + account).build());
  }

  private ByteString unwrap(String account, WrappedKey w) {
    return gateway.data().unwrap(UnwrapRequest.newBuilder().setAccount(account).setWrapped(w).build()).getPlaintextKey();
  }

  private GetKeyResponse describe(String keyId) {
    return admin.data().getKey(GetKeyRequest.newBuilder().setKeyId(keyId).build());
  }

  private static CreateKeyRequest create(String keyId) {
    return CreateKeyRequest.newBuilder().setKeyId(keyId).build();
  }

  /** Forced: these tests revoke versions that wrapped DEKs (emergency revocation); the census refusal has its own test. */
  private static SetKeyVersionStateRequest state(String keyId, int version, boolean enabled) {
    return SetKeyVersionStateRequest.newBuilder().setKeyId(keyId).setVersion(version).setEnabled(enabled)
        .setForce(true).build();
  }

  private static PurgeKeyRequest purge(String keyId) {
    return PurgeKeyRequest.newBuilder().setKeyId(keyId).build();
  }

  private static String id(TlsMaterial tls) {
    return TlsMaterial.identityOf(tls.certificate());
  }

  private List<JsonObject> audit() {
    try {
      return Files.readAllLines(agent.auditFile()).stream().map(JsonObject::new).toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<String> ops() {
    return audit().stream().map(l -> l.getString("op")).toList();
  }
}
