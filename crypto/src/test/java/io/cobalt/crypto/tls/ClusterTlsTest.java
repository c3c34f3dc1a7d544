package io.cobalt.crypto.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterTlsTest {
  private final SecureRandom random = new SecureRandom();

  @Test
  void issuesCertificatesTrustedOnlyByTheirOwnCa(@TempDir Path dir) throws Exception {
    ClusterTls.ensure(dir, "test", List.of("node-1", "gateway"), random);
    TlsMaterial node = TlsMaterial.load(dir, "node-1");
    TlsMaterial gateway = TlsMaterial.load(dir, "gateway");

    X509TrustManager trust = (X509TrustManager) node.trustManagers()[0];
    X509Certificate[] gatewayChain = {gateway.certificate(), gateway.trustAnchor()};
    trust.checkClientTrusted(gatewayChain, "EC");
    trust.checkServerTrusted(gatewayChain, "ECDHE_ECDSA");

    ClusterCa rogue = ClusterCa.create("rogue", random);
    IssuedCertificate rogueCert = rogue.issue("node-1", List.of("localhost"), List.of("127.0.0.1"));
    assertThrows(CertificateException.class,
        () -> trust.checkClientTrusted(new X509Certificate[] {rogueCert.certificate(), rogue.certificate()}, "EC"));
  }

  @Test
  void keepsExistingMaterialAndProtectsPrivateKeys(@TempDir Path dir) throws Exception {
    ClusterTls.ensure(dir, "test", List.of("node-1"), random);
    String before = Files.readString(dir.resolve("node-1.pem"));
    ClusterTls.ensure(dir, "test", List.of("node-1", "node-2"), random);
    assertEquals(before, Files.readString(dir.resolve("node-1.pem")));
    TlsMaterial n2 = TlsMaterial.load(dir, "node-2");
    assertEquals(TlsMaterial.load(dir, "node-1").trustAnchor(), n2.trustAnchor());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key"))));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node-2.key"))));
    assertTrue(n2.certificate().getSubjectX500Principal().getName().contains("node-2"));
    assertNotEquals(TlsMaterial.identityOf(n2.certificate()), TlsMaterial.identityOf(TlsMaterial.load(dir, "node-1").certificate()));
  }
}
