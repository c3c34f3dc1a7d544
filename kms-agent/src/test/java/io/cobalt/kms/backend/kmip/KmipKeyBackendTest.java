package io.cobalt.kms.backend.kmip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cobalt.kms.keys.KeyBackend;
import io.cobalt.kms.keys.KeyBackendContract;
import io.cobalt.kms.keys.KeyState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key backend contract against a PyKMIP server over mutual TLS, and what only KMIP shows. */
class KmipKeyBackendTest extends KeyBackendContract {
  private static final int KMIP_STATE_ACTIVE = 2;
  @TempDir static Path serverDir;
  private static PyKmipServer server;
  @TempDir Path dir;
  private KmipConfig config;

  @BeforeAll
  static void startServer() throws Exception {
    server = PyKmipServer.start(serverDir);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected KeyBackend openBackend() throws Exception {
    config = KmipConfig.of("127.0.0.1", server.port, server.clientTls, dir.resolve("kmip-keys.json"));
    return KmipKeyBackend.open(config, random, Clock.systemUTC());
  }

  @Override
  protected KeyBackend reopen(KeyBackend old) throws Exception {
    close(old);
    return KmipKeyBackend.open(config, random, Clock.systemUTC());
  }

  @Test
  void keepsADisabledVersionActiveOnTheServerBecauseKmipRevokeIsFinal() throws Exception {
    KmipKeyBackend kmip = (KmipKeyBackend) backend;
    String id = newKeyId();
    kmip.createIfAbsent(id);
    String uid = kmip.uniqueIdentifier(id, 1);
    assertEquals(KMIP_STATE_ACTIVE, kmip.client().state(uid));
    kmip.setState(id, 1, KeyState.DISABLED);
    assertEquals(KMIP_STATE_ACTIVE, kmip.client().state(uid));
  }

  @Test
  void destroysTheObjectOnTheServer() throws Exception {
    KmipKeyBackend kmip = (KmipKeyBackend) backend;
    String id = newKeyId();
    kmip.createIfAbsent(id);
    String uid = kmip.uniqueIdentifier(id, 1);
    kmip.setState(id, 1, KeyState.DISABLED);
    kmip.destroy(id, 1);
    KmipException e = assertThrows(KmipException.class, () -> kmip.client().state(uid));
    assertEquals(KmipTags.REASON_ITEM_NOT_FOUND, e.resultReason());
    KmipException enc = assertThrows(KmipException.class,
        () -> kmip.client().encrypt(uid, new byte[12], new byte[32], new byte[0]));
    assertEquals(KmipTags.REASON_ITEM_NOT_FOUND, enc.resultReason());
  }

  @Test
  void refusesAClientWhoseCertificateTheServerDoesNotTrust() throws Exception {
    io.cobalt.crypto.tls.ClusterCa other = io.cobalt.crypto.tls.ClusterCa.create("other", random);
    io.cobalt.crypto.tls.IssuedCertificate stranger = other.issue("stranger", java.util.List.of(), java.util.List.of());
    // Trusts the real server CA but presents a certificate from another CA.
    io.cobalt.crypto.tls.TlsMaterial tls = new io.cobalt.crypto.tls.TlsMaterial(
        new java.security.cert.X509Certificate[] {stranger.certificate(), stranger.issuer()}, stranger.privateKey(),
        server.clientTls.trustAnchor());
    KmipConfig bad = KmipConfig.of("127.0.0.1", server.port, tls, Files.createTempFile(dir, "k", ".json"));
    Files.delete(bad.metadataFile());
    try (KmipKeyBackend b = KmipKeyBackend.open(bad, random, Clock.systemUTC())) {
      assertEquals(io.cobalt.kms.keys.KeyOperationException.Kind.BACKEND_UNAVAILABLE,
          refusal(() -> b.createIfAbsent(newKeyId())));
    }
  }
}
