package io.cobalt.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cobalt.crypto.tls.ClusterTls;
import io.cobalt.crypto.tls.TlsMaterial;
import io.cobalt.proto.kms.v1.GenerateDataKeyRequest;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's certificate is replaced on disk; new connections get the new one, without a restart. */
class TlsReloadTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  @Test
  void newConnectionsPresentTheReplacedCertificate() throws Exception {
    Path tlsDir = dir.resolve("tls");
    ClusterTls.ensure(tlsDir, "test", List.of("kms-agent", "gateway"), RANDOM);
    Path masterKey = dir.resolve("master.key");
    MasterKeyFile.createIfAbsent(masterKey, RANDOM);
    TlsMaterial gateway = TlsMaterial.load(tlsDir, "gateway");
    KmsAgentConfig config = KmsAgentConfig.withTlsFrom(dir.resolve("kms"), masterKey, "127.0.0.1", 0, tlsDir,
        "kms-agent", Set.of(TlsMaterial.identityOf(gateway.certificate())));
    FakeScheduler scheduler = new FakeScheduler();
    try (KmsAgentServer agent = KmsAgentServer.start(config, new FakeClock(Instant.EPOCH), RANDOM, System::nanoTime,
        scheduler)) {
      BigInteger first = serverCertificate(agent.port(), gateway).getSerialNumber();
      assertEquals(TlsMaterial.load(tlsDir, "kms-agent").certificate().getSerialNumber(), first);
      assertFalse(agent.reloadTls(), "files unchanged");

      Files.delete(tlsDir.resolve("kms-agent.pem"));
      Files.delete(tlsDir.resolve("kms-agent.key"));
      ClusterTls.ensure(tlsDir, "test", List.of("kms-agent"), RANDOM);
      BigInteger renewed = TlsMaterial.load(tlsDir, "kms-agent").certificate().getSerialNumber();
      assertNotEquals(first, renewed);

      scheduler.runPeriodicTasks(); // the periodic file check notices the change
      assertEquals(renewed, serverCertificate(agent.port(), gateway).getSerialNumber());
      try (AgentClient c = new AgentClient(agent.port(), gateway)) {
        assertEquals(32, c.data().generateDataKey(GenerateDataKeyRequest.newBuilder().setAccount("acct1").build())
            .getPlaintextKey().size());
      }

      // A half-written renewal is not loaded; the current certificate stays in use.
      Files.writeString(tlsDir.resolve("kms-agent.pem"), "-----BEGIN CERTIFICATE-----\ntruncated");
      assertFalse(agent.reloadTls());
      assertEquals(renewed, serverCertificate(agent.port(), gateway).getSerialNumber());
    } finally {
      scheduler.shutdownNow();
    }
    assertTrue(scheduler.livePeriodicTasks() == 0, "the agent cancels its periodic tasks when it stops");
  }

  private static X509Certificate serverCertificate(int port, TlsMaterial client) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(client.keyManagers(), client.trustManagers(), RANDOM);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      SSLParameters p = s.getSSLParameters();
      p.setApplicationProtocols(new String[] {"h2"});
      s.setSSLParameters(p);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

}
