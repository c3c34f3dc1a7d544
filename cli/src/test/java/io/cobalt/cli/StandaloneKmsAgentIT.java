package io.cobalt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.cli.admin.rpc.KeyAdminClient;
import io.cobalt.cli.role.ProcessCluster;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.kms.api.KeyAgentRpcService;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import io.cobalt.proto.kms.v1.GenerateDataKeyResponse;
import io.cobalt.proto.kms.v1.GetKeyResponse;
import io.cobalt.proto.kms.v1.KeyAgentGrpc;
import io.cobalt.proto.kms.v1.UnwrapRequest;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4: the standalone {@code cobalt kms-agent} role with an HSM and a KMIP server as key backends,
 * as an operator runs it: {@code cobalt init} writes its config file, the PKCS#11 and KMIP settings are
 * added to it, and the agent runs as a JVM of its own from the packaged cobalt.jar
 * ({@code java -jar cobalt.jar kms-agent --config kms-agent.properties}). The module has two SoftHSM2
 * tokens with different PINs; the agent's is chosen by label ({@code pkcs11.token.label}), the second
 * one. Over the agent's mTLS gRPC API, with the operator's {@code admin} certificate: a key on each
 * backend, a data key generated and unwrapped under each, disable refuses the unwrap
 * (FAILED_PRECONDITION, KEY_DISABLED), enable restores it; after the agent process is stopped and
 * started again, the same wrapped keys unwrap and new ones are generated.
 */
class StandaloneKmsAgentIT {
  private static final String HSM_KEY = "cmk/agent-hsm";
  private static final String KMIP_KEY = "cmk/agent-kmip";
  private static final String OTHER_TOKEN = "cobalt-other";
  private static final String AGENT_TOKEN = "cobalt-agent";

  @TempDir Path tmp;

  @Test
  void servesKeysOnATokenChosenByLabelAndOnAKmipServerAcrossARestart() throws Exception {
    KeyBackendServers.requireInstalled();
    // Two tokens, the agent's second; each with its own PIN, so the wrong token could not be logged in to.
    List<KeyBackendServers.Token> tokens = KeyBackendServers.softHsmTokens(Files.createDirectories(tmp.resolve("softhsm")),
        List.of(OTHER_TOKEN, AGENT_TOKEN));
    KeyBackendServers.Token agentToken = tokens.get(1);
    try (KeyBackendServers.PyKmip kmip = KeyBackendServers.PyKmip.start(Files.createDirectories(tmp.resolve("kmip")));
        ProcessCluster cluster = ProcessCluster.init(tmp.resolve("cluster"), ProcessCluster.defaultJar(), 1, 4)) {
      Path config = cluster.dir().resolve("kms-agent.properties");
      Files.writeString(config, Files.readString(config) + String.join("\n",
          "admin.callers=admin",
          "pkcs11.library=" + KeyBackendServers.SOFTHSM_LIBRARY,
          "pkcs11.token.label=" + AGENT_TOKEN,
          "pkcs11.pin.file=" + agentToken.pinFile(),
          "kmip.host=127.0.0.1",
          "kmip.port=" + kmip.port,
          "kmip.cert.file=" + kmip.dir.resolve("client.pem"),
          "kmip.key.file=" + kmip.dir.resolve("client.key"),
          "kmip.ca.file=" + kmip.dir.resolve("ca.pem"),
          ""));
      long t0 = System.nanoTime();
      cluster.start("kms-agent");
      System.out.printf("StandaloneKmsAgentIT: kms-agent process ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      String target = "127.0.0.1:" + property(config, "port");
      TlsMaterial admin = TlsMaterial.load(cluster.dir().resolve("tls"), "admin");

      Map<String, GenerateDataKeyResponse> generated = new LinkedHashMap<>();
      try (KeyAdminClient keys = KeyAdminClient.connect(target, admin); DataPath data = new DataPath(target, admin)) {
        assertEquals("pkcs11", keys.create(HSM_KEY, "pkcs11").getBackend());
        assertEquals("kmip", keys.create(KMIP_KEY, "kmip").getBackend());
        for (String key : List.of(HSM_KEY, KMIP_KEY)) {
          GenerateDataKeyResponse g = data.generate(key);
          assertEquals(key, g.getWrapped().getKeyId());
          assertEquals(1, g.getWrapped().getKeyVersion());
          assertEquals(32, g.getPlaintextKey().size());
          assertEquals(g.getPlaintextKey(), data.unwrap(g), key);
          generated.put(key, g);

          // Revocation: the version disabled (forced: the census counts the DEK just generated), the unwrap
          // is refused with the state's code; enabled again, the same wrapped key unwraps.
          GetKeyResponse disabled = keys.setVersionState(key, 1, false, true);
          assertEquals("DISABLED", disabled.getVersions(0).getState());
          StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> data.unwrap(g));
          assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode(), refused.toString());
          assertEquals("KEY_DISABLED", refused.getTrailers().get(KeyAgentRpcService.CODE_TRAILER), key);
          StatusRuntimeException noNew = assertThrows(StatusRuntimeException.class, () -> data.generate(key));
          assertEquals("KEY_DISABLED", noNew.getTrailers().get(KeyAgentRpcService.CODE_TRAILER), key);
          assertEquals("ENABLED", keys.setVersionState(key, 1, true).getVersions(0).getState());
          assertEquals(g.getPlaintextKey(), data.unwrap(g), key + " after enable");
        }
      }

      // The HSM key is in the token the label names, not in the other one (each opened by the slot id
      // softhsm2-util reported, with its own PIN; this JVM loads the module after both tokens exist).
      assertTrue(aliases(agentToken).contains(HSM_KEY + "/v1"), "the key is in the token " + AGENT_TOKEN);
      assertFalse(aliases(tokens.get(0)).contains(HSM_KEY + "/v1"), "and not in " + OTHER_TOKEN);

      // Restart: the agent's records of both backends (kms/pkcs11-keys.json, kms/kmip-keys.json), its key
      // catalogue and the keys in the token and on the server carry over.
      assertEquals(143, cluster.stop("kms-agent"), "SIGTERM: a clean stop");
      assertTrue(cluster.log("kms-agent").contains("cobalt kms-agent: stopped"), cluster.log("kms-agent"));
      t0 = System.nanoTime();
      cluster.start("kms-agent");
      System.out.printf("StandaloneKmsAgentIT: kms-agent restarted in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      try (KeyAdminClient keys = KeyAdminClient.connect(target, admin); DataPath data = new DataPath(target, admin)) {
        assertEquals("pkcs11", keys.describe(HSM_KEY).getBackend());
        assertEquals("kmip", keys.describe(KMIP_KEY).getBackend());
        for (Map.Entry<String, GenerateDataKeyResponse> e : generated.entrySet()) {
          assertEquals(e.getValue().getPlaintextKey(), data.unwrap(e.getValue()), e.getKey() + " after the restart");
          GenerateDataKeyResponse fresh = data.generate(e.getKey());
          assertEquals(fresh.getPlaintextKey(), data.unwrap(fresh), e.getKey() + ": a new data key after the restart");
          assertEquals("DISABLED", keys.setVersionState(e.getKey(), 1, false, true).getVersions(0).getState());
          StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> data.unwrap(fresh));
          assertEquals("KEY_DISABLED", refused.getTrailers().get(KeyAgentRpcService.CODE_TRAILER), e.getKey());
          keys.setVersionState(e.getKey(), 1, true);
          assertEquals(fresh.getPlaintextKey(), data.unwrap(fresh), e.getKey());
        }
      }
      String log = cluster.log("kms-agent");
      assertTrue(log.contains("opened the token labelled '" + AGENT_TOKEN + "'"), log);
      for (KeyBackendServers.Token t : tokens) {
        String pin = Files.readString(t.pinFile()).strip();
        assertFalse(log.contains(pin), "the agent's output never holds a PIN");
      }
    }
  }

  private static String property(Path file, String key) throws Exception {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    return p.getProperty(key);
  }

  /**
   * The labels of the objects in {@code token}, opened by its slot id and its own PIN, in a child JVM
   * ({@link TokenAliases}): loading SoftHSM2 into this JVM would pin its configuration, pointing at
   * this test's token directory, for the other integration tests that share the failsafe JVM.
   */
  private static List<String> aliases(KeyBackendServers.Token token) throws Exception {
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
        TokenAliases.class.getName(), KeyBackendServers.SOFTHSM_LIBRARY.toString(), Long.toString(token.slotId()),
        token.pinFile().toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("listing the objects of token " + token.label() + " did not finish in 60 s");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("listing the objects of token " + token.label() + " failed: " + out);
    }
    return out.lines().filter(l -> !l.isBlank()).toList();
  }

  /** The agent's data path (GenerateDataKey, Unwrap) for an account of the test, over mTLS. */
  private static final class DataPath implements AutoCloseable {
    private static final String ACCOUNT = "standalone";
    private final ManagedChannel channel;

    DataPath(String target, TlsMaterial tls) {
      int colon = target.lastIndexOf(':');
      channel = Grpc.newChannelBuilderForAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)),
          TlsChannelCredentials.newBuilder().keyManager(tls.keyManagers()).trustManager(tls.trustManagers()).build())
          .build();
    }

    private KeyAgentGrpc.KeyAgentBlockingStub stub() {
      return KeyAgentGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    GenerateDataKeyResponse generate(String keyId) {
      return stub().generateDataKey(GenerateDataKeyRequest.newBuilder().setAccount(ACCOUNT).setKeyId(keyId)
          .setRequestId("it-generate").build());
    }

    com.google.protobuf.ByteString unwrap(GenerateDataKeyResponse g) {
      return stub().unwrap(UnwrapRequest.newBuilder().setAccount(ACCOUNT).setWrapped(g.getWrapped())
          .setRequestId("it-unwrap").build()).getPlaintextKey();
    }

    @Override
    public void close() {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
