package io.cobalt.kms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.cobalt.crypto.tls.ClusterCa;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.api.KeyAgentRpcService;
import io.cobalt.kms.audit.AuditLogVerifier;
import io.cobalt.kms.backend.kmip.KmipConfig;
import io.cobalt.kms.backend.pkcs11.Pkcs11Config;
import io.cobalt.kms.backend.local.MasterKeyMismatchException;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import io.cobalt.proto.kms.v1.GenerateDataKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyRequest;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeyAgentGrpc;
import io.cobalt.proto.kms.v1.UnwrapRequest;
import io.cobalt.proto.kms.v1.WrappedKey;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent as its callers see it: a real gRPC client over mutual TLS on a free loopback port. */
class KmsAgentServerTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static TlsMaterial agentTls;
  private static TlsMaterial gatewayTls;
  private static TlsMaterial intruderTls;
  private static TlsMaterial rogueTls;

  @TempDir Path dir;

  @BeforeAll
  static void certificates() {
    ClusterCa ca = ClusterCa.create("test", RANDOM);
    agentTls = TlsMaterial.of(ca.issue("kms-agent", List.of("localhost"), List.of("127.0.0.1")));
    gatewayTls = TlsMaterial.of(ca.issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
    intruderTls = TlsMaterial.of(ca.issue("intruder", List.of("localhost"), List.of("127.0.0.1")));
    rogueTls = TlsMaterial.of(ClusterCa.create("rogue", RANDOM).issue("gateway", List.of("localhost"), List.of("127.0.0.1")));
  }

  private KmsAgentConfig config() throws IOException {
    Path masterKey = dir.resolve("secrets/master.key");
    MasterKeyFile.createIfAbsent(masterKey, RANDOM);
    return new KmsAgentConfig(dir.resolve("kms"), masterKey, "127.0.0.1", 0, agentTls,
        Set.of(TlsMaterial.identityOf(gatewayTls.certificate())));
  }

  @Test
  void generatesAndUnwrapsADataKeyOverMutualTls() throws Exception {
    try (KmsAgentServer agent = KmsAgentServer.start(config())) {
      GenerateDataKeyResponse g = call(agent, gatewayTls, s -> s.generateDataKey(generate("account1")));
      assertEquals(32, g.getPlaintextKey().size());
      assertEquals("account/account1", g.getWrapped().getKeyId());
      assertEquals(1, g.getWrapped().getKeyVersion());
      assertEquals(60, g.getWrapped().getCiphertext().size());
      ByteString back = call(agent, gatewayTls, s -> s.unwrap(unwrap("account1", g.getWrapped()))).getPlaintextKey();
      assertEquals(g.getPlaintextKey(), back);
      GetKeyResponse k = call(agent, gatewayTls, s -> s.getKey(GetKeyRequest.newBuilder().setKeyId("account/account1").build()));
      assertEquals(1, k.getPrimaryVersion());
      assertEquals("ENABLED", k.getVersions(0).getState());
    }
  }

  @Test
  void mapsRefusalsToClearStatusCodesWithoutKeyBytes() throws Exception {
    try (KmsAgentServer agent = KmsAgentServer.start(config())) {
      WrappedKey w = call(agent, gatewayTls, s -> s.generateDataKey(generate("account1"))).getWrapped();
      call(agent, gatewayTls, s -> s.generateDataKey(generate("account2")));

      StatusRuntimeException other = refused(agent, gatewayTls, s -> s.unwrap(unwrap("account2", w)));
      assertEquals(Status.Code.FAILED_PRECONDITION, other.getStatus().getCode());
      assertEquals("WRONG_KEY", other.getTrailers().get(KeyAgentRpcService.CODE_TRAILER));

      byte[] ct = w.getCiphertext().toByteArray();
      ct[20] ^= 1;
      WrappedKey flipped = w.toBuilder().setCiphertext(ByteString.copyFrom(ct)).build();
      StatusRuntimeException bit = refused(agent, gatewayTls, s -> s.unwrap(unwrap("account1", flipped)));
      assertEquals(Status.Code.INVALID_ARGUMENT, bit.getStatus().getCode());
      assertEquals("NOT_AUTHENTIC", bit.getTrailers().get(KeyAgentRpcService.CODE_TRAILER));

      WrappedKey v2 = w.toBuilder().setKeyVersion(2).build();
      assertEquals(Status.Code.FAILED_PRECONDITION,
          refused(agent, gatewayTls, s -> s.unwrap(unwrap("account1", v2))).getStatus().getCode());
      assertEquals(Status.Code.INVALID_ARGUMENT,
          refused(agent, gatewayTls, s -> s.generateDataKey(generate("Bad-Name"))).getStatus().getCode());
      assertEquals(Status.Code.NOT_FOUND, refused(agent, gatewayTls,
          s -> s.getKey(GetKeyRequest.newBuilder().setKeyId("account/nobody").build())).getStatus().getCode());
    }
  }

  @Test
  void refusesAClientWithoutACertificate() throws Exception {
    try (KmsAgentServer agent = KmsAgentServer.start(config())) {
      ChannelCredentials noCert = TlsChannelCredentials.newBuilder().trustManager(agentTls.trustManagers()).build();
      StatusRuntimeException e = refused(agent, noCert, s -> s.generateDataKey(generate("account1")));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      assertEquals(0, auditLines(agent).size());
    }
  }

  @Test
  void refusesAClientWithACertificateFromAnotherCa() throws Exception {
    try (KmsAgentServer agent = KmsAgentServer.start(config())) {
      StatusRuntimeException e = refused(agent, credentials(rogueTls), s -> s.generateDataKey(generate("account1")));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    }
  }

  @Test
  void deniesAnAuthenticatedCallerThatIsNotAllowedAndAuditsTheDenial() throws Exception {
    try (KmsAgentServer agent = KmsAgentServer.start(config())) {
      WrappedKey w = call(agent, gatewayTls, s -> s.generateDataKey(generate("account1"))).getWrapped();
      assertEquals(Status.Code.PERMISSION_DENIED,
          refused(agent, intruderTls, s -> s.generateDataKey(generate("account1"))).getStatus().getCode());
      assertEquals(Status.Code.PERMISSION_DENIED,
          refused(agent, intruderTls, s -> s.unwrap(unwrap("account1", w))).getStatus().getCode());
      assertEquals(Status.Code.PERMISSION_DENIED, refused(agent, intruderTls,
          s -> s.getKey(GetKeyRequest.newBuilder().setKeyId("account/account1").build())).getStatus().getCode());

      List<JsonObject> lines = auditLines(agent);
      assertEquals(List.of("CREATE_KEY", "GENERATE_DEK", "GENERATE_DEK", "UNWRAP", "GET_KEY"),
          lines.stream().map(l -> l.getString("op")).toList());
      String intruder = TlsMaterial.identityOf(intruderTls.certificate());
      String gateway = TlsMaterial.identityOf(gatewayTls.certificate());
      assertEquals(gateway, lines.get(1).getString("caller"));
      for (JsonObject denied : lines.subList(2, 5)) {
        assertEquals("denied", denied.getString("result"));
        assertEquals("PERMISSION_DENIED", denied.getString("code"));
        assertEquals(intruder, denied.getString("caller"));
      }
      assertEquals("req-account1", lines.get(2).getString("requestId"));
      assertEquals("kms-agent", lines.get(0).getString("agent"));
      assertTrue(AuditLogVerifier.verify(agent.auditFile()).intact());
    }
  }

  @Test
  void keepsKeysVersionsAndTheAuditChainAcrossARestart() throws Exception {
    KmsAgentConfig config = config();
    GenerateDataKeyResponse old;
    try (KmsAgentServer agent = KmsAgentServer.start(config)) {
      old = call(agent, gatewayTls, s -> s.generateDataKey(generate("account1")));
      assertEquals(2, agent.rotate("account/account1").version());
    }
    try (KmsAgentServer agent = KmsAgentServer.start(config)) {
      assertEquals(old.getPlaintextKey(),
          call(agent, gatewayTls, s -> s.unwrap(unwrap("account1", old.getWrapped()))).getPlaintextKey());
      GenerateDataKeyResponse fresh = call(agent, gatewayTls, s -> s.generateDataKey(generate("account1")));
      assertEquals(2, fresh.getWrapped().getKeyVersion());
      GetKeyResponse k = call(agent, gatewayTls, s -> s.getKey(GetKeyRequest.newBuilder().setKeyId("account/account1").build()));
      assertEquals(2, k.getVersionsCount());
      assertEquals(2, k.getPrimaryVersion());

      List<JsonObject> lines = auditLines(agent);
      assertEquals(List.of("CREATE_KEY", "GENERATE_DEK", "ROTATE", "UNWRAP", "GENERATE_DEK", "GET_KEY"),
          lines.stream().map(l -> l.getString("op")).toList());
      AuditLogVerifier.Result r = AuditLogVerifier.verify(agent.auditFile());
      assertTrue(r.intact(), r.reason());
      assertEquals(6, r.records());
    }
  }

  @Test
  void refusesToStartWithAWrongMasterKey() throws Exception {
    KmsAgentConfig config = config();
    KmsAgentServer.start(config).close();
    Path other = dir.resolve("secrets/other.key");
    MasterKeyFile.createIfAbsent(other, RANDOM);
    KmsAgentConfig wrong = new KmsAgentConfig(config.dataDir(), other, "127.0.0.1", 0, agentTls, config.allowedCallers());
    MasterKeyMismatchException e = assertThrows(MasterKeyMismatchException.class, () -> KmsAgentServer.start(wrong));
    assertTrue(e.getMessage().contains("master key does not match"), e.getMessage());
    KmsAgentServer.start(config).close();
  }

  @Test
  void refusesToStartWithoutAMasterKeyFile() throws Exception {
    KmsAgentConfig c = config();
    KmsAgentConfig missing = new KmsAgentConfig(c.dataDir(), dir.resolve("absent.key"), "127.0.0.1", 0, agentTls,
        c.allowedCallers());
    IOException e = assertThrows(IOException.class, () -> KmsAgentServer.start(missing));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    assertFalse(Files.exists(c.dataDir().resolve("keystore.json")));
  }

  @Test
  void refusesASecondAgentOnTheSameDataDirectory() throws Exception {
    KmsAgentConfig config = config();
    try (KmsAgentServer agent = KmsAgentServer.start(config)) {
      IOException e = assertThrows(IOException.class, () -> KmsAgentServer.start(config));
      assertTrue(e.getMessage().contains("is using"), e.getMessage());
      call(agent, gatewayTls, s -> s.generateDataKey(generate("account1")));
    }
  }

  @Test
  void refusesAnAllowedCallerThatIsNotAnIdentityHash() throws Exception {
    KmsAgentConfig c = config();
    // Refused when the config is built (validated once, before anything starts).
    assertThrows(IllegalArgumentException.class,
        () -> new KmsAgentConfig(c.dataDir(), c.masterKeyFile(), "127.0.0.1", 0, agentTls, Set.of("gateway")));
    KmsAgentServer.start(c).close();
  }

  /**
   * The agent's start-up does not depend on a customer's KMS: with KMIP as the default backend and
   * nothing listening at the KMIP address, it starts, serves the keys of its local keystore, and
   * answers what needs the KMIP server with UNAVAILABLE (retriable) within the connect timeout.
   */
  @Test
  void startsAndServesLocalKeysWhileTheKmipServerIsUnreachable() throws Exception {
    GenerateDataKeyResponse before;
    try (KmsAgentServer agent = KmsAgentServer.start(config())) {
      before = call(agent, gatewayTls, s -> s.generateDataKey(generate("local1")));
    }
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    KmsAgentConfig kmip = config().withBackend(new KeyBackendConfig.Kmip(
        KmipConfig.of("127.0.0.1", closedPort, gatewayTls, dir.resolve("kmip-keys.json"))));
    long start = System.nanoTime();
    try (KmsAgentServer agent = KmsAgentServer.start(kmip)) {
      System.out.printf("KmsAgentServerTest: started with an unreachable KMIP server in %.0f ms%n",
          (System.nanoTime() - start) / 1e6);
      ByteString back = call(agent, gatewayTls, s -> s.unwrap(unwrap("local1", before.getWrapped()))).getPlaintextKey();
      assertEquals(before.getPlaintextKey(), back);
      GenerateDataKeyResponse again = call(agent, gatewayTls, s -> s.generateDataKey(generate("local1")));
      assertEquals("account/local1", again.getWrapped().getKeyId());
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> call(agent, gatewayTls, s -> s.generateDataKey(generate("onkmip"))));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      assertEquals("BACKEND_UNAVAILABLE", e.getTrailers().get(KeyAgentRpcService.CODE_TRAILER));
    }
  }

  /**
   * Nor on a customer's HSM: with PKCS#11 as the default backend and a token that cannot be opened
   * (here: no PIN file; the module is never loaded), the agent starts, serves the keys of its local
   * keystore, and answers what needs the token with UNAVAILABLE (retriable; the gateway's 503).
   */
  @Test
  void startsAndServesLocalKeysWhileThePkcs11TokenCannotBeOpened() throws Exception {
    GenerateDataKeyResponse before;
    try (KmsAgentServer agent = KmsAgentServer.start(config())) {
      before = call(agent, gatewayTls, s -> s.generateDataKey(generate("local1")));
    }
    KmsAgentConfig pkcs11 = config().withBackend(new KeyBackendConfig.Pkcs11(Pkcs11Config.of(
        Path.of("/usr/lib/softhsm/libsofthsm2.so"), 0, dir.resolve("hsm-pin-not-there"),
        dir.resolve("pkcs11-keys.json"))));
    try (KmsAgentServer agent = KmsAgentServer.start(pkcs11)) {
      ByteString back = call(agent, gatewayTls, s -> s.unwrap(unwrap("local1", before.getWrapped()))).getPlaintextKey();
      assertEquals(before.getPlaintextKey(), back);
      for (int i = 0; i < 2; i++) { // the first attempt, then within its back-off
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
            () -> call(agent, gatewayTls, s -> s.generateDataKey(generate("onhsm"))));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        assertEquals("BACKEND_UNAVAILABLE", e.getTrailers().get(KeyAgentRpcService.CODE_TRAILER));
      }
      GenerateDataKeyResponse again = call(agent, gatewayTls, s -> s.generateDataKey(generate("local1")));
      assertEquals("account/local1", again.getWrapped().getKeyId());
    }
  }

  private static GenerateDataKeyRequest generate(String account) {
    return GenerateDataKeyRequest.newBuilder().setAccount(account).setRequestId("req-" + account).build();
  }

  private static UnwrapRequest unwrap(String account, WrappedKey w) {
    return UnwrapRequest.newBuilder().setAccount(account).setWrapped(w).setRequestId("req-" + account).build();
  }

  private static ChannelCredentials credentials(TlsMaterial tls) {
    return TlsChannelCredentials.newBuilder().keyManager(tls.keyManagers()).trustManager(tls.trustManagers()).build();
  }

  private static <T> T call(KmsAgentServer agent, TlsMaterial tls, Function<KeyAgentGrpc.KeyAgentBlockingStub, T> rpc)
      throws InterruptedException {
    return call(agent, credentials(tls), rpc);
  }

  private static <T> T call(KmsAgentServer agent, ChannelCredentials creds,
      Function<KeyAgentGrpc.KeyAgentBlockingStub, T> rpc) throws InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", agent.port(), creds).build();
    try {
      return rpc.apply(KeyAgentGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS));
    } finally {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static StatusRuntimeException refused(KmsAgentServer agent, TlsMaterial tls,
      Function<KeyAgentGrpc.KeyAgentBlockingStub, ?> rpc) {
    return refused(agent, credentials(tls), rpc);
  }

  private static StatusRuntimeException refused(KmsAgentServer agent, ChannelCredentials creds,
      Function<KeyAgentGrpc.KeyAgentBlockingStub, ?> rpc) {
    return assertThrows(StatusRuntimeException.class, () -> call(agent, creds, rpc));
  }

  private static List<JsonObject> auditLines(KmsAgentServer agent) throws IOException {
    return Files.readAllLines(agent.auditFile()).stream().map(JsonObject::new).toList();
  }
}
