package io.cobalt.kms;

import static io.cobalt.kms.AgentClient.refusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.policy.CallerGrant;
import io.cobalt.proto.kms.v1.CreateKeyRequest;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import io.cobalt.proto.kms.v1.GenerateDataKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyRequest;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeySourceGetRequest;
import io.cobalt.proto.kms.v1.KeySourceInfo;
import io.cobalt.proto.kms.v1.KeySourceSetRequest;
import io.cobalt.proto.kms.v1.RewrapRequest;
import io.cobalt.proto.kms.v1.RotateKeyRequest;
import io.cobalt.proto.kms.v1.ScheduleKeyDeletionRequest;
import io.cobalt.proto.kms.v1.SetKeyVersionStateRequest;
import io.cobalt.proto.kms.v1.UnwrapRequest;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key sources of accounts and scopes (ADR 0031) over mTLS against a real agent: switching to a
 * customer-managed key, pinned and latest versions, what is refused, rewrap across keys, and who
 * may use a customer key through an account that references it.
 */
class KeySourceRpcTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static TlsMaterial agentTls;
  private static TlsMaterial gatewayTls;
  private static TlsMaterial adminTls;
  private static TlsMaterial tenantTls;

  @TempDir Path dir;
  private KmsAgentServer agent;
  private AgentClient gateway;
  private AgentClient admin;
  private AgentClient tenant;
  private FakeScheduler scheduler;

  @BeforeAll
  static void certificates() {
    ClusterCa ca = ClusterCa.create("test", RANDOM);
    agentTls = TlsMaterial.of(ca.issue("kms-agent", List.of("localhost"), List.of("127.0.0.1")));
    gatewayTls = TlsMaterial.of(ca.issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
    adminTls = TlsMaterial.of(ca.issue("admin", List.of("localhost"), List.of("127.0.0.1")));
    tenantTls = TlsMaterial.of(ca.issue("tenant", List.of("localhost"), List.of("127.0.0.1")));
  }

  @BeforeEach
  void start() throws IOException {
    startAgent();
  }

  private void startAgent() throws IOException {
    Path masterKey = dir.resolve("secrets/master.key");
    MasterKeyFile.createIfAbsent(masterKey, RANDOM);
    KmsAgentConfig config = new KmsAgentConfig(dir.resolve("kms"), masterKey, "127.0.0.1", 0, agentTls,
        Set.of(TlsMaterial.identityOf(gatewayTls.certificate())))
        .withGrants(List.of(
            CallerGrant.admin("admin", TlsMaterial.identityOf(adminTls.certificate()), List.of("*")),
            CallerGrant.dataPath("tenant", TlsMaterial.identityOf(tenantTls.certificate()), List.of("account/acct2"))));
    scheduler = new FakeScheduler();
    agent = KmsAgentServer.start(config, new FakeClock(Instant.parse("2030-01-01T00:00:00Z")), RANDOM,
        System::nanoTime, scheduler);
    gateway = new AgentClient(agent.port(), gatewayTls);
    admin = new AgentClient(agent.port(), adminTls);
    tenant = new AgentClient(agent.port(), tenantTls);
  }

  @AfterEach
  void stop() throws Exception {
    gateway.close();
    admin.close();
    tenant.close();
    agent.close();
    scheduler.shutdownNow();
  }

  @Test
  void anAccountSwitchedToACustomerKeyWrapsNewDeksUnderItWhileOldDeksStillUnwrap() throws Exception {
    GenerateDataKeyResponse before = generate("acct1", "");
    assertEquals("account/acct1", before.getWrapped().getKeyId());
    KeySourceInfo initial = admin.admin().keySourceGet(KeySourceGetRequest.newBuilder().setAccount("acct1").build());
    assertTrue(initial.getServiceManaged());
    assertEquals("account/acct1", initial.getEffectiveKeyId());
    assertEquals(1, initial.getEffectiveVersion());
    assertEquals(0, initial.getChangedEpochMillis());

    admin.admin().createKey(CreateKeyRequest.newBuilder().setKeyId("cmk/acme").setBackend("local").build());
    KeySourceInfo set = admin.admin().keySourceSet(cmk("acct1", "", "acme", 0));
    assertFalse(set.getServiceManaged());
    assertEquals("cmk/acme", set.getKeyId());
    assertEquals("local", set.getBackend());
    assertEquals("cmk/acme", set.getEffectiveKeyId());
    assertEquals(1, set.getEffectiveVersion());
    assertTrue(set.getChangedEpochMillis() > 0);

    GenerateDataKeyResponse after = generate("acct1", "");
    assertEquals("cmk/acme", after.getWrapped().getKeyId());
    assertEquals(1, after.getWrapped().getKeyVersion());
    // The gateway's grant covers account/* only: it uses the customer key through the account.
    assertEquals(after.getPlaintextKey(), unwrap(gateway, "acct1", after.getWrapped()));
    assertEquals(before.getPlaintextKey(), unwrap(gateway, "acct1", before.getWrapped()), "old DEKs still read");
    assertEquals(1, gateway.data().getKey(GetKeyRequest.newBuilder().setKeyId("cmk/acme").build()).getPrimaryVersion());

    // Rewrap with the owner moves an old DEK across keys; without it, only across versions.
    WrappedKey moved = rewrap("acct1", before.getWrapped(), "account/acct1");
    assertEquals("cmk/acme", moved.getKeyId());
    assertEquals(1, moved.getKeyVersion());
    assertEquals(before.getPlaintextKey(), unwrap(gateway, "acct1", moved));
    assertEquals("account/acct1", rewrap("acct1", before.getWrapped(), "").getKeyId());
    assertEquals("FAILED_PRECONDITION/WRONG_KEY", refusal(() -> rewrap("acct1", before.getWrapped(), "account/acct2")));

    // Latest follows rotations; a pinned version stays.
    admin.admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId("cmk/acme").build());
    assertEquals(2, generate("acct1", "").getWrapped().getKeyVersion());
    assertEquals(2, rewrap("acct1", moved, "account/acct1").getKeyVersion());
    assertEquals(1, admin.admin().keySourceSet(cmk("acct1", "", "cmk/acme", 1)).getEffectiveVersion());
    assertEquals(1, generate("acct1", "").getWrapped().getKeyVersion());

    // Back to service-managed: new DEKs under the account's key; DEKs under the customer key still read.
    KeySourceInfo back = admin.admin().keySourceSet(KeySourceSetRequest.newBuilder().setAccount("acct1")
        .setServiceManaged(true).build());
    assertTrue(back.getServiceManaged());
    assertEquals("account/acct1", back.getEffectiveKeyId());
    assertEquals("account/acct1", generate("acct1", "").getWrapped().getKeyId());
    assertEquals(after.getPlaintextKey(), unwrap(gateway, "acct1", after.getWrapped()));
    WrappedKey home = rewrap("acct1", after.getWrapped(), "account/acct1");
    assertEquals("account/acct1", home.getKeyId());
    assertEquals(after.getPlaintextKey(), unwrap(gateway, "acct1", home));

    List<String> ops = audit().stream().map(l -> l.getString("op")).toList();
    assertEquals(3, ops.stream().filter("SET_KEY_SOURCE"::equals).count());
    assertEquals(1, ops.stream().filter("GET_KEY_SOURCE"::equals).count());
  }

  @Test
  void aSourceThatDoesNotExistOnTheBackendOrIsNotEnabledIsRefusedAndNothingChanges() {
    admin.admin().createKey(CreateKeyRequest.newBuilder().setKeyId("cmk/acme").setBackend("local").build());
    assertEquals("NOT_FOUND/UNKNOWN_KEY", refusal(() -> admin.admin().keySourceSet(cmk("acct1", "", "nope", 0))));
    assertEquals("INVALID_ARGUMENT/INVALID_ARGUMENT",
        refusal(() -> admin.admin().keySourceSet(KeySourceSetRequest.newBuilder().setAccount("acct1")
            .setBackend("pkcs11").setKeyName("acme").build())), "a backend this agent does not have");
    assertEquals("INVALID_ARGUMENT/INVALID_ARGUMENT", refusal(() -> admin.admin().keySourceSet(KeySourceSetRequest
        .newBuilder().setAccount("acct1").setKeyName("acme").build())), "no backend named");
    assertEquals("INVALID_ARGUMENT/INVALID_ARGUMENT", refusal(() -> admin.admin().keySourceSet(KeySourceSetRequest
        .newBuilder().setAccount("acct1").setServiceManaged(true).setKeyName("acme").build())));
    assertEquals("INVALID_ARGUMENT/INVALID_KEY_ID", refusal(() -> admin.admin().keySourceSet(cmk("acct1", "", "a b", 0))));
    assertEquals("INVALID_ARGUMENT/INVALID_ACCOUNT", refusal(() -> admin.admin().keySourceSet(cmk("A!", "", "acme", 0))));
    assertEquals("FAILED_PRECONDITION/UNKNOWN_KEY_VERSION",
        refusal(() -> admin.admin().keySourceSet(cmk("acct1", "", "acme", 2))));
    assertEquals("NOT_FOUND/UNKNOWN_KEY", refusal(() -> admin.admin().keySourceSet(cmk("acct1", "nosuchscope", "acme", 0))),
        "a scope must be created first");

    admin.admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId("cmk/acme").build());
    admin.admin().setKeyVersionState(SetKeyVersionStateRequest.newBuilder().setKeyId("cmk/acme").setVersion(1)
        .setEnabled(false).setForce(true).build());
    assertEquals("FAILED_PRECONDITION/KEY_DISABLED", refusal(() -> admin.admin().keySourceSet(cmk("acct1", "", "acme", 1))));
    assertEquals(2, admin.admin().keySourceSet(cmk("acct1", "", "acme", 0)).getEffectiveVersion());
    admin.admin().setKeyVersionState(SetKeyVersionStateRequest.newBuilder().setKeyId("cmk/acme").setVersion(2)
        .setEnabled(false).setForce(true).build());
    assertEquals("FAILED_PRECONDITION/KEY_DISABLED", refusal(() -> admin.admin().keySourceSet(cmk("acct2", "", "acme", 0))));
    // acct1 still points at it: its writes and reads are refused as the gateway maps to 403.
    assertEquals("FAILED_PRECONDITION/KEY_DISABLED", refusal(() -> generate("acct1", "")));

    admin.admin().setKeyVersionState(SetKeyVersionStateRequest.newBuilder().setKeyId("cmk/acme").setVersion(2)
        .setEnabled(true).build());
    admin.admin().scheduleKeyDeletion(ScheduleKeyDeletionRequest.newBuilder().setKeyId("cmk/acme").build());
    assertEquals("FAILED_PRECONDITION/KEY_DELETED", refusal(() -> admin.admin().keySourceSet(cmk("acct2", "", "acme", 0))));
    assertTrue(admin.admin().keySourceGet(KeySourceGetRequest.newBuilder().setAccount("acct2").build()).getServiceManaged());
  }

  @Test
  void aScopeHasItsOwnSourceAndTheSourceSurvivesARestart() throws Exception {
    admin.admin().createKey(CreateKeyRequest.newBuilder().setKeyId("account/acct1/scope/sc1").build());
    admin.admin().createKey(CreateKeyRequest.newBuilder().setKeyId("cmk/team").setBackend("local").build());
    admin.admin().keySourceSet(cmk("acct1", "sc1", "team", 0));
    assertEquals("cmk/team", generate("acct1", "account/acct1/scope/sc1").getWrapped().getKeyId());
    assertEquals("account/acct1", generate("acct1", "").getWrapped().getKeyId(), "the account keeps its own source");
    GenerateDataKeyResponse scoped = generate("acct1", "account/acct1/scope/sc1");

    stop();
    startAgent();
    KeySourceInfo after = admin.admin().keySourceGet(KeySourceGetRequest.newBuilder().setAccount("acct1")
        .setScope("sc1").build());
    assertEquals("account/acct1/scope/sc1", after.getOwnerKeyId());
    assertEquals("cmk/team", after.getEffectiveKeyId());
    assertEquals("cmk/team", generate("acct1", "account/acct1/scope/sc1").getWrapped().getKeyId());
    assertEquals(scoped.getPlaintextKey(), unwrap(gateway, "acct1", scoped.getWrapped()));
  }

  @Test
  void aCustomerKeyIsUsableOnlyThroughTheAccountsThatReferenceIt() {
    admin.admin().createKey(CreateKeyRequest.newBuilder().setKeyId("cmk/shared").setBackend("local").build());
    admin.admin().keySourceSet(cmk("acct1", "", "shared", 0));
    GenerateDataKeyResponse acct1Dek = generate("acct1", "");
    assertEquals("cmk/shared", acct1Dek.getWrapped().getKeyId());

    // tenant may use account/acct2 only; cmk/shared is not acct2's source.
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED", refusal(() -> unwrap(tenant, "acct2", acct1Dek.getWrapped())));
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED", refusal(() -> unwrap(tenant, "acct1", acct1Dek.getWrapped())));
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED",
        refusal(() -> tenant.data().getKey(GetKeyRequest.newBuilder().setKeyId("cmk/shared").build())));

    // Once acct2 references it too, tenant may use it for acct2 — and acct1's DEKs still do not open
    // for acct2 (their associated data binds acct1).
    admin.admin().keySourceSet(cmk("acct2", "", "shared", 0));
    GenerateDataKeyResponse acct2Dek = tenant.data().generateDataKey(GenerateDataKeyRequest.newBuilder()
        .setAccount("acct2").build());
    assertEquals("cmk/shared", acct2Dek.getWrapped().getKeyId());
    assertEquals(acct2Dek.getPlaintextKey(), unwrap(tenant, "acct2", acct2Dek.getWrapped()));
    assertEquals("INVALID_ARGUMENT/NOT_AUTHENTIC", refusal(() -> unwrap(tenant, "acct2", acct1Dek.getWrapped())));
    assertEquals("PERMISSION_DENIED/PERMISSION_DENIED", refusal(() -> unwrap(tenant, "acct1", acct1Dek.getWrapped())));
    assertEquals(1, tenant.data().getKey(GetKeyRequest.newBuilder().setKeyId("cmk/shared").build()).getPrimaryVersion());
  }

  /** GetKey of an owner names its customer key source (for the gateway's List Blobs check), even before its own key exists. */
  @Test
  void getKeyOfAnOwnerNamesItsCustomerKeySourceEvenBeforeItsOwnKeyExists() {
    admin.admin().createKey(CreateKeyRequest.newBuilder().setKeyId("cmk/acme").setBackend("local").build());
    GetKeyRequest acct1 = GetKeyRequest.newBuilder().setKeyId("account/acct1").build();
    assertTrue(refusal(() -> gateway.data().getKey(acct1)).endsWith("/UNKNOWN_KEY"), "never written: no key yet");

    admin.admin().keySourceSet(cmk("acct1", "", "acme", 0));
    GetKeyResponse latest = gateway.data().getKey(acct1);
    assertEquals("account/acct1", latest.getKeyId());
    assertEquals(0, latest.getVersionsCount(), "the account's own key is still not created");
    assertEquals("cmk/acme", latest.getSourceKeyId());
    assertEquals(0, latest.getSourcePinnedVersion());
    admin.admin().keySourceSet(cmk("acct1", "", "acme", 1));
    assertEquals(1, gateway.data().getKey(acct1).getSourcePinnedVersion());

    generate("acct2", "");
    GetKeyResponse service = gateway.data().getKey(GetKeyRequest.newBuilder().setKeyId("account/acct2").build());
    assertEquals("", service.getSourceKeyId(), "service-managed: no source named");
    assertEquals(1, service.getVersionsCount());
    assertEquals("", gateway.data().getKey(GetKeyRequest.newBuilder().setKeyId("cmk/acme").build()).getSourceKeyId());

    admin.admin().keySourceSet(KeySourceSetRequest.newBuilder().setAccount("acct1").setServiceManaged(true).build());
    assertTrue(refusal(() -> gateway.data().getKey(acct1)).endsWith("/UNKNOWN_KEY"), "back to service-managed");
  }

  private static KeySourceSetRequest cmk(String account, String scope, String key, int version) {
    return KeySourceSetRequest.newBuilder().setAccount(account).setScope(scope).setBackend("local").setKeyName(key)
        .setVersion(version).build();
  }

  private GenerateDataKeyResponse generate(String account, String keyId) {
    return gateway.data().generateDataKey(GenerateDataKeyRequest.newBuilder().setAccount(account).setKeyId(keyId)
        .setRequestId("req").build());
  }

  private static ByteString unwrap(AgentClient c, String account, WrappedKey w) {
    return c.data().unwrap(UnwrapRequest.newBuilder().setAccount(account).setWrapped(w).build()).getPlaintextKey();
  }

  private WrappedKey rewrap(String account, WrappedKey w, String owner) {
    return admin.data().rewrap(RewrapRequest.newBuilder().setAccount(account).setWrapped(w).setOwnerKeyId(owner)
        .build()).getWrapped();
  }

  private List<JsonObject> audit() throws IOException {
    return Files.readAllLines(agent.auditFile()).stream().map(JsonObject::new).toList();
  }
}
